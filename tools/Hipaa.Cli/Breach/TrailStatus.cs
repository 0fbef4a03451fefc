namespace Hipaa.Cli.Breach;

/// <summary>The result of verifying the audit trail before the assessment.</summary>
/// <param name="Verified">The chain verified and is anchored by a trusted public key or an exported checkpoint.</param>
/// <param name="Summary">One sentence: what was checked, or what is wrong.</param>
/// <param name="UnsealedRecords">Records not yet sealed into the chain (not yet tamper-evident), included in the assessment.</param>
internal sealed record TrailStatus(bool Verified, string Summary, long UnsealedRecords);
