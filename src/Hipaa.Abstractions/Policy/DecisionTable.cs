namespace Hipaa.Policy;

/// <summary>
/// Precomputed decisions, obligation lists and reason lists, so that a decision without a field mask or a consent
/// allocates nothing.
/// </summary>
internal static class DecisionTable
{
    public const int ObligationCombinations = 16;

    private static readonly Obligation[][] s_obligations = BuildObligationLists();
    private static readonly PolicyRule[][] s_reasons = BuildReasonLists();
    private static readonly AccessDecision[] s_decisions = BuildDecisions();

    public static IReadOnlyList<Obligation> Obligations(ObligationSet set) => s_obligations[(int)set];

    public static IReadOnlyList<PolicyRule> Reasons(PolicyRule rule, ObligationSet set) =>
        s_reasons[(rule.Index * ObligationCombinations) + (int)set];

    public static AccessDecision Deny(PolicyRule rule) => s_decisions[rule.Index * ObligationCombinations];

    public static AccessDecision Permit(PolicyRule rule, ObligationSet obligations, FieldMask? fieldMask, string? consentId) =>
        fieldMask is null && consentId is null
            ? s_decisions[(rule.Index * ObligationCombinations) + (int)obligations + PermitOffset]
            : new AccessDecision(AccessOutcome.Permit, rule, obligations, fieldMask, consentId);

    // Permits are stored after all denies.
    private static int PermitOffset => PolicyRules.All.Count * ObligationCombinations;

    private static Obligation[][] BuildObligationLists()
    {
        var lists = new Obligation[ObligationCombinations][];
        for (int set = 0; set < ObligationCombinations; set++)
        {
            var list = new List<Obligation>(4);
            foreach (Obligation obligation in Enum.GetValues<Obligation>())
            {
                if ((set & (1 << (int)obligation)) != 0)
                {
                    list.Add(obligation);
                }
            }

            lists[set] = [.. list];
        }

        return lists;
    }

    private static PolicyRule[][] BuildReasonLists()
    {
        IReadOnlyList<PolicyRule> rules = PolicyRules.All;
        var lists = new PolicyRule[rules.Count * ObligationCombinations][];
        foreach (PolicyRule rule in rules)
        {
            for (int set = 0; set < ObligationCombinations; set++)
            {
                var list = new List<PolicyRule>(5) { rule };
                foreach (Obligation obligation in s_obligations[set])
                {
                    list.Add(PolicyRules.ForObligation(obligation));
                }

                lists[(rule.Index * ObligationCombinations) + set] = [.. list];
            }
        }

        return lists;
    }

    private static AccessDecision[] BuildDecisions()
    {
        IReadOnlyList<PolicyRule> rules = PolicyRules.All;
        int count = rules.Count * ObligationCombinations;
        var decisions = new AccessDecision[count * 2];
        foreach (PolicyRule rule in rules)
        {
            decisions[rule.Index * ObligationCombinations] = new AccessDecision(AccessOutcome.Deny, rule, ObligationSet.None, null, null);
            for (int set = 0; set < ObligationCombinations; set++)
            {
                decisions[count + (rule.Index * ObligationCombinations) + set] =
                    new AccessDecision(AccessOutcome.Permit, rule, (ObligationSet)set, null, null);
            }
        }

        return decisions;
    }
}
