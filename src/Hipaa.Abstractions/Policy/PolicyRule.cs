namespace Hipaa.Policy;

/// <summary>
/// One rule of the policy engine: a stable id, the law it rests on, and the sentence that explains a decision it
/// produced. The engine's rules are listed by <see cref="PolicyEngine.Rules"/>.
/// </summary>
public sealed class PolicyRule
{
    internal PolicyRule(int index, string id, string citation, string explanation)
    {
        Index = index;
        Id = id;
        Citation = citation;
        Explanation = explanation;
    }

    /// <summary>The stable id, for example <c>notes.authorization-required</c>. Ids never change meaning.</summary>
    public string Id { get; }

    /// <summary>The legal citation, for example <c>45 CFR 164.508(a)(2)</c>.</summary>
    public string Citation { get; }

    /// <summary>One sentence a compliance officer understands, saying why the rule decided as it did.</summary>
    public string Explanation { get; }

    /// <summary>Position in the engine's rule table.</summary>
    internal int Index { get; }

    /// <summary>The rule as <c>"id: explanation"</c>.</summary>
    public override string ToString() => $"{Id}: {Explanation}";
}
