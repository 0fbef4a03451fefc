namespace Hipaa.Cli.Breach;

/// <summary>How one exposed PHI field stands under the breach-notification rule (45 CFR 164.402).</summary>
internal enum FieldProtection
{
    /// <summary>Unsecured PHI: plaintext, decrypted for the attacker, or encrypted under a compromised key. Counts toward notification.</summary>
    Unsecured,

    /// <summary>Encrypted under a key the attacker did not hold: the safe harbor, not unsecured PHI.</summary>
    SafeHarbor,

    /// <summary>Written (created, changed or deleted) by the compromised account: an integrity question to review, not by itself a disclosure.</summary>
    Written,
}
