namespace Hipaa.Policy;

/// <summary>
/// What the engine decided and why: Permit or Deny, the obligations that come with a permit, the field mask, and the
/// rules that produced it. Immutable; decisions are shared between requests.
/// </summary>
public sealed class AccessDecision
{
    private readonly ObligationSet _obligations;

    internal AccessDecision(AccessOutcome outcome, PolicyRule rule, ObligationSet obligations, FieldMask? fieldMask, string? consentId)
    {
        Outcome = outcome;
        Rule = rule;
        _obligations = obligations;
        FieldMask = fieldMask;
        ConsentId = consentId;
    }

    /// <summary>Permit or Deny.</summary>
    public AccessOutcome Outcome { get; }

    /// <summary>Whether the request is permitted.</summary>
    public bool IsPermitted => Outcome == AccessOutcome.Permit;

    /// <summary>The rule that decided.</summary>
    public PolicyRule Rule { get; }

    /// <summary>The decision in one sentence: the deciding rule's explanation.</summary>
    public string Explanation => Rule.Explanation;

    /// <summary>What the caller must do when acting on a permit, in <see cref="Obligation"/> order. Empty for a deny.</summary>
    public IReadOnlyList<Obligation> Obligations => DecisionTable.Obligations(_obligations);

    /// <summary>
    /// The deciding rule first, then the rule behind each obligation. Each reads as <c>"id: sentence"</c> through
    /// <see cref="PolicyRule.ToString"/>.
    /// </summary>
    public IReadOnlyList<PolicyRule> Reasons => DecisionTable.Reasons(Rule, _obligations);

    /// <summary>The fields the actor may see, when <see cref="Obligation.MaskFields"/> applies; otherwise <see langword="null"/>.</summary>
    public FieldMask? FieldMask { get; }

    /// <summary>
    /// The id of the consent or authorization the permit rests on, when it rests on one (for the accounting of disclosures
    /// and the 42 CFR 2.32 notice). When several qualify, the ordinally smallest id, so the order of consents never matters.
    /// </summary>
    public string? ConsentId { get; }

    /// <summary>Whether the decision carries <paramref name="obligation"/>.</summary>
    /// <param name="obligation">The obligation.</param>
    /// <returns><see langword="true"/> when the caller must fulfil it.</returns>
    public bool HasObligation(Obligation obligation) => (_obligations & (ObligationSet)(1 << (int)obligation)) != 0;

    /// <summary>For example <c>"Permit (matrix.role-permission)"</c>.</summary>
    public override string ToString() => $"{Outcome} ({Rule.Id})";
}
