using System.Globalization;
using System.Security.Cryptography;
using Hipaa.Auditing;

namespace Hipaa.EfCore.Auditing.Integrity;

/// <summary>
/// Checks checkpoint signatures with public keys only (ECDSA P-256 / SHA-256, IEEE P1363 signatures). A checkpoint is
/// valid when its signature verifies under any of the trusted keys, so checkpoints signed before a key rotation verify
/// when the old public key is trusted too.
/// </summary>
internal sealed class CheckpointSignatureVerifier : IDisposable
{
    private readonly List<ECDsa> _keys;

    private CheckpointSignatureVerifier(List<ECDsa> keys, IReadOnlyList<string> fingerprints)
    {
        _keys = keys;
        Fingerprints = fingerprints;
    }

    /// <summary>Gets the fingerprints (<see cref="Fingerprint"/>) of the trusted keys, for messages.</summary>
    public IReadOnlyList<string> Fingerprints { get; }

    /// <summary>A truncated SHA-256 (16 hex digits) of a DER SubjectPublicKeyInfo, naming a key in messages and key ids.</summary>
    /// <param name="subjectPublicKeyInfo">The public key.</param>
    /// <returns>The fingerprint.</returns>
    public static string Fingerprint(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(subjectPublicKeyInfo, hash);
        return Convert.ToHexStringLower(hash[..8]);
    }

    /// <summary>Trusts the public keys of the given DER SubjectPublicKeyInfo encodings.</summary>
    /// <param name="subjectPublicKeyInfos">The public keys.</param>
    /// <returns>The verifier.</returns>
    /// <exception cref="InvalidOperationException">A key is not an ECDSA P-256 public key.</exception>
    public static CheckpointSignatureVerifier FromSubjectPublicKeyInfos(IEnumerable<byte[]> subjectPublicKeyInfos)
    {
        ArgumentNullException.ThrowIfNull(subjectPublicKeyInfos);
        var keys = new List<ECDsa>();
        var fingerprints = new List<string>();
        try
        {
            foreach (byte[] spki in subjectPublicKeyInfos)
            {
                var key = ECDsa.Create();
                keys.Add(key);
                try
                {
                    key.ImportSubjectPublicKeyInfo(spki, out _);
                }
                catch (CryptographicException ex)
                {
                    throw new InvalidOperationException(
                        "A checkpoint verification key is not an ECDSA public key (DER SubjectPublicKeyInfo). Export it with "
                            + "'hipaa audit public-key' or from your signer's ExportSubjectPublicKeyInfo().",
                        ex);
                }

                if (key.KeySize != 256)
                {
                    throw new InvalidOperationException(string.Format(
                        CultureInfo.InvariantCulture,
                        "A checkpoint verification key is a {0}-bit ECDSA key; checkpoints are signed with ECDSA P-256.",
                        key.KeySize));
                }

                fingerprints.Add(Fingerprint(spki));
            }

            return new CheckpointSignatureVerifier(keys, fingerprints);
        }
        catch
        {
            keys.ForEach(k => k.Dispose());
            throw;
        }
    }

    /// <summary>Trusts every <c>PUBLIC KEY</c> PEM block in <paramref name="pem"/>.</summary>
    /// <param name="pem">PEM text, e.g. the output of <c>hipaa audit public-key</c>.</param>
    /// <param name="sourceName">Where the text came from, for the error message.</param>
    /// <returns>The verifier.</returns>
    /// <exception cref="InvalidOperationException">The text holds no public key, or a key that is not ECDSA P-256.</exception>
    public static CheckpointSignatureVerifier FromPem(string pem, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(pem);
        var keys = new List<byte[]>();
        ReadOnlySpan<char> remaining = pem;
        while (PemEncoding.TryFind(remaining, out PemFields fields))
        {
            if (remaining[fields.Label].SequenceEqual("PUBLIC KEY"))
            {
                keys.Add(Convert.FromBase64String(remaining[fields.Base64Data].ToString()));
            }
            else if (remaining[fields.Label].Contains("PRIVATE KEY", StringComparison.Ordinal))
            {
                throw new InvalidOperationException(string.Format(
                    CultureInfo.InvariantCulture,
                    "'{0}' holds a PRIVATE key. Verification needs only the public key: export it with 'hipaa audit public-key' and "
                        + "keep the private key with the signer.",
                    sourceName));
            }

            remaining = remaining[fields.Location.End..];
        }

        if (keys.Count == 0)
        {
            throw new InvalidOperationException(string.Format(
                CultureInfo.InvariantCulture,
                "'{0}' holds no PEM public key (-----BEGIN PUBLIC KEY-----).",
                sourceName));
        }

        return FromSubjectPublicKeyInfos(keys);
    }

    /// <summary>Trusts the public key of <paramref name="signer"/>.</summary>
    /// <param name="signer">The signer.</param>
    /// <returns>The verifier.</returns>
    public static CheckpointSignatureVerifier FromSigner(IAuditCheckpointSigner signer)
    {
        ArgumentNullException.ThrowIfNull(signer);
        return FromSubjectPublicKeyInfos([signer.ExportSubjectPublicKeyInfo()]);
    }

    /// <summary>Checks the signature of <paramref name="checkpoint"/>.</summary>
    /// <param name="checkpoint">The checkpoint.</param>
    /// <returns><see langword="true"/> when a trusted key verifies its signature.</returns>
    public bool IsValid(AuditCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (checkpoint.HeadHash.Length != AuditRecordHasher.HashSize)
        {
            return false;
        }

        byte[] signed = checkpoint.SignedBytes();
        foreach (ECDsa key in _keys)
        {
            if (key.VerifyData(signed, checkpoint.Signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
            {
                return true;
            }
        }

        return false;
    }

    /// <inheritdoc />
    public void Dispose() => _keys.ForEach(k => k.Dispose());
}
