namespace Hipaa.Policy;

/// <summary>A set of <see cref="Obligation"/> values as bits (bit <c>n</c> is obligation <c>n</c>).</summary>
[Flags]
internal enum ObligationSet
{
    None = 0,
    RedisclosureNotice = 1 << (int)Obligation.RedisclosureNotice,
    AccountDisclosure = 1 << (int)Obligation.AccountDisclosure,
    BreakGlassReview = 1 << (int)Obligation.BreakGlassReview,
    MaskFields = 1 << (int)Obligation.MaskFields,
}
