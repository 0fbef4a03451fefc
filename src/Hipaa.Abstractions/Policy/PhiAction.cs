namespace Hipaa.Policy;

/// <summary>What the actor wants to do with a record.</summary>
/// <remarks>
/// The role matrix writes Read as R, Create and Update as W, Delete as D, Disclose and Export as X;
/// <see cref="Reencrypt"/> is not in the matrix.
/// </remarks>
public enum PhiAction
{
    /// <summary>View the record inside the practice.</summary>
    Read = 1,

    /// <summary>Create a record.</summary>
    Create = 2,

    /// <summary>Change a record.</summary>
    Update = 3,

    /// <summary>Delete a record.</summary>
    Delete = 4,

    /// <summary>Export the record (a file, a bulk extract); a disclosure when the recipient is outside the practice.</summary>
    Export = 5,

    /// <summary>Disclose the record to a recipient.</summary>
    Disclose = 6,

    /// <summary>
    /// Rewrite the record's stored, encrypted form without changing its content or showing it to anyone: key maintenance
    /// (re-encryption after a key roll, encryption of values written before encryption was enabled), done by the SDK's
    /// <c>FieldEncryptionKeyManager</c>. Decided by its own rule (<c>maintenance.reencrypt</c>), never by the role matrix:
    /// permitted for the system administration purpose (<see cref="PurposeOfUse.SystemAdministration"/>) only, and not
    /// grantable in a <see cref="RoleCatalog"/>.
    /// </summary>
    Reencrypt = 7,
}
