namespace Hipaa.EfCore.Policy;

/// <summary>Why a consent row gave no consent.</summary>
internal enum ConsentReadFailure
{
    None,

    /// <summary>The patient's data key was destroyed (crypto-shredded): the row can never be read again.</summary>
    Shredded,

    /// <summary>
    /// The row fails authentication: altered, moved to another patient or consent, encrypted under another patient's key, or
    /// its key row fails authentication. Someone with write access to the database changed it.
    /// </summary>
    Unreadable,
}
