namespace Hipaa.Policy;

/// <summary>The law a court order meets.</summary>
public enum CourtOrderKind
{
    /// <summary>An order under 45 CFR 164.512(e) (judicial and administrative proceedings); not enough for Part 2 records.</summary>
    Hipaa = 1,

    /// <summary>An order that meets 42 CFR 2.64 (good cause, limited to what is essential); may cover Part 2 records.</summary>
    Part2 = 2,
}
