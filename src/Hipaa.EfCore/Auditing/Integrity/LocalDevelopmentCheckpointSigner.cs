using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Hipaa.Auditing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hipaa.EfCore.Auditing.Integrity;

/// <summary>
/// A checkpoint signer for development and tests only: an ECDSA P-256 private key kept in a local PEM file (PKCS#8) that is
/// created on first use, readable and writable by its owner only.
/// </summary>
/// <remarks>
/// <para>
/// This signer is <b>not</b> a safeguard for a real audit trail: anyone who can read the file (a backup, a copied disk image,
/// another process of the same user) can sign checkpoints for a rewritten chain. In production sign with a key held in an HSM
/// or a key management service, through your own <see cref="IAuditCheckpointSigner"/>. Every instance logs a warning saying
/// so (event id <see cref="DevelopmentSignerInUseEventId"/>).
/// </para>
/// <para>
/// On Unix the file is created atomically with mode 0600 (written to a new owner-only temporary file in the same directory,
/// then moved into place without overwriting); an existing file that grants any permission to its group or to others is
/// refused. On Windows the file inherits the access control list of its directory. The public key, which is all
/// verification needs, is exported with <see cref="ExportPublicKeyPem"/> (<c>hipaa audit public-key</c>). Instances are
/// thread-safe.
/// </para>
/// </remarks>
public sealed partial class LocalDevelopmentCheckpointSigner : IAuditCheckpointSigner, IDisposable
{
    /// <summary>The event id of the warning every instance logs when it is opened (<c>LocalDevelopmentCheckpointSignerInUse</c>).</summary>
    public const int DevelopmentSignerInUseEventId = 2301;

    /// <summary>The prefix of every <see cref="KeyId"/> of a development signer.</summary>
    public const string KeyIdPrefix = "local-dev-ecdsa:";

    private readonly ECDsa _key;
    private readonly byte[] _publicKey;
    private readonly Lock _gate = new();

    private LocalDevelopmentCheckpointSigner(ECDsa key, string path)
    {
        _key = key;
        FilePath = path;
        _publicKey = key.ExportSubjectPublicKeyInfo();
        KeyId = KeyIdPrefix + CheckpointSignatureVerifier.Fingerprint(_publicKey);
    }

    /// <summary>
    /// Gets the identifier of this key: <c>local-dev-ecdsa:</c> followed by a 16-hex-digit fingerprint of the public key (a
    /// truncated SHA-256 of its SubjectPublicKeyInfo). The same file always gives the same id.
    /// </summary>
    public string KeyId { get; }

    /// <summary>Gets the full path of the PEM file that holds the private key.</summary>
    public string FilePath { get; }

    /// <summary>
    /// Opens the development signing key stored in <paramref name="path"/>, creating the file (and its directory) with a new
    /// P-256 key, owner-only, when it does not exist. Logs a warning that a development-only signer is in use.
    /// </summary>
    /// <param name="path">The PEM file, for example <c>~/.hipaa/dev-audit-signing.pem</c>. Its directory is created when missing.</param>
    /// <param name="logger">Receives the development-only warning; <see langword="null"/> logs nothing.</param>
    /// <returns>The signer; dispose it to release the key.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or white space.</exception>
    /// <exception cref="InvalidOperationException">
    /// The file is readable or writable by its group or by others, or is owned by another user (on Unix), or it does not hold an ECDSA P-256 private key.
    /// </exception>
    /// <exception cref="IOException">The file could not be read or created.</exception>
    public static LocalDevelopmentCheckpointSigner OpenOrCreate(string path, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string fullPath = Path.GetFullPath(path);

        var (content, created) = OwnerOnlyKeyFile.ReadOrCreate(
            fullPath,
            "development signing key file",
            "or delete it to create a new key; checkpoints signed by the old key then verify only with its exported public key",
            static () =>
            {
                using var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                return Encoding.UTF8.GetBytes(fresh.ExportPkcs8PrivateKeyPem());
            });
        string pem = Encoding.UTF8.GetString(content);
        CryptographicOperations.ZeroMemory(content);

        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            if (key.KeySize != 256 || key.ExportParameters(false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
            {
                throw new InvalidOperationException(string.Format(
                    CultureInfo.InvariantCulture,
                    "The file '{0}' holds an ECDSA key that is not on the P-256 curve. Point the development signer at another path, "
                        + "or delete the file to create a new key.",
                    fullPath));
            }

            // A PEM holding only a public key imports, but cannot sign: fail here rather than at the first seal.
            key.ExportECPrivateKey();
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new InvalidOperationException(
                string.Format(
                    CultureInfo.InvariantCulture,
                    "The file '{0}' is not a development signing key (a PEM-encoded ECDSA P-256 private key). Point the development "
                        + "signer at another path, or delete the file to create a new key.",
                    fullPath),
                ex);
        }
        catch
        {
            key.Dispose();
            throw;
        }

        var instance = new LocalDevelopmentCheckpointSigner(key, fullPath);
        LogDevelopmentSignerInUse(logger ?? NullLogger.Instance, instance.KeyId, fullPath, created);
        return instance;
    }

    /// <inheritdoc />
    public byte[] Sign(ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            return _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
    }

    /// <inheritdoc />
    public Task<byte[]> SignAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<byte[]>(cancellationToken);
        }

        return Task.FromResult(Sign(data.Span));
    }

    /// <inheritdoc />
    public byte[] ExportSubjectPublicKeyInfo() => (byte[])_publicKey.Clone();

    /// <summary>Exports the public key as PEM (<c>-----BEGIN PUBLIC KEY-----</c>), for <c>hipaa audit verify --public-key</c>.</summary>
    /// <returns>The PEM text.</returns>
    public string ExportPublicKeyPem() => PemEncoding.WriteString("PUBLIC KEY", _publicKey);

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();

    [LoggerMessage(
        EventId = DevelopmentSignerInUseEventId,
        EventName = "LocalDevelopmentCheckpointSignerInUse",
        Level = LogLevel.Warning,
        Message = "A DEVELOPMENT-ONLY audit checkpoint signer {KeyId} is in use (file {KeyFilePath}, newly created: {Created}). "
            + "Anyone who can read the file can sign checkpoints for a rewritten audit trail: sign with an HSM or a key management service in production.")]
    private static partial void LogDevelopmentSignerInUse(ILogger logger, string keyId, string keyFilePath, bool created);
}
