using System.Globalization;

namespace Hipaa.Pkcs11;

/// <summary>Where <see cref="Pkcs11KeyEncryptionKey"/> finds its token and its wrapping key.</summary>
public sealed class Pkcs11KeyEncryptionKeyOptions
{
    /// <summary>
    /// Gets or sets the path of the PKCS#11 module (the vendor's library), for example
    /// <c>/usr/lib/softhsm/libsofthsm2.so</c>. Required; no default.
    /// </summary>
    public string LibraryPath { get; set; } = string.Empty;

    /// <summary>
    /// Gets or sets the label of the token that holds the key. Set this, <see cref="SlotId"/>, or both (then both must
    /// match). Default: <see langword="null"/>.
    /// </summary>
    public string? TokenLabel { get; set; }

    /// <summary>
    /// Gets or sets the id of the slot that holds the token. Slot ids can change when tokens are added (SoftHSM2 assigns
    /// them at random), so prefer <see cref="TokenLabel"/>. Default: <see langword="null"/>.
    /// </summary>
    public ulong? SlotId { get; set; }

    /// <summary>Gets or sets the token's user PIN (<c>CKU_USER</c>). Required; no default. Never logged or put in a message.</summary>
    public string UserPin { get; set; } = string.Empty;

    /// <summary>Gets or sets the label (<c>CKA_LABEL</c>) of the AES-256 wrapping key in the token. Required; no default.</summary>
    public string KeyLabel { get; set; } = string.Empty;

    /// <summary>
    /// Gets or sets whether a missing wrapping key is generated in the token (persistent, sensitive, not extractable, usable
    /// only to wrap and unwrap). When <see langword="false"/>, a missing key is an error, for tokens whose keys are
    /// created by a key ceremony. Default: <see langword="true"/>.
    /// </summary>
    public bool CreateKeyIfMissing { get; set; } = true;

    /// <summary>
    /// Gets or sets how many sessions are opened at most for wrap and unwrap calls, which is also how many such calls run
    /// at once; further callers wait. Default: 4.
    /// </summary>
    public int MaxSessions { get; set; } = 4;

    /// <summary>Returns every problem with these options (naming the setting and the value seen); empty when valid.</summary>
    /// <returns>One sentence per problem.</returns>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(LibraryPath))
        {
            problems.Add("LibraryPath is empty: set it to the PKCS#11 module, for example /usr/lib/softhsm/libsofthsm2.so.");
        }

        if (string.IsNullOrWhiteSpace(TokenLabel) && SlotId is null)
        {
            problems.Add("Neither TokenLabel nor SlotId is set: set TokenLabel to the label of the token that holds the key.");
        }

        if (string.IsNullOrEmpty(UserPin))
        {
            problems.Add("UserPin is empty: set it to the token's user PIN (from a secret store, not from source code).");
        }

        if (string.IsNullOrWhiteSpace(KeyLabel))
        {
            problems.Add("KeyLabel is empty: set it to the label of the wrapping key, for example 'hipaa-kek'.");
        }

        if (MaxSessions < 1)
        {
            problems.Add(string.Format(CultureInfo.InvariantCulture, "MaxSessions is {0}: it must be at least 1.", MaxSessions));
        }

        return problems;
    }
}
