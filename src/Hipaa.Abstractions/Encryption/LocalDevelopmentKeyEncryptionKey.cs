using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hipaa.Encryption;

/// <summary>
/// A key-encryption key for development and tests only: a 256-bit AES key kept in a local file that is created on first
/// use, readable and writable by its owner only. It wraps with AES-256-GCM (<see cref="KeyWrapAlgorithm.AesGcmKeyWrap256"/>).
/// </summary>
/// <remarks>
/// <para>
/// This key is <b>not</b> a safeguard for real patient data: anyone who can read the file (a backup, a copied disk image,
/// another process running as the same user) can unwrap every data key, and nothing records who used it. In production use
/// a key held in an HSM (Hipaa.Pkcs11) or a key management service such as Azure Key Vault (Hipaa.Azure). Every instance
/// logs a warning saying so (event id <see cref="DevelopmentKeyInUseEventId"/>).
/// </para>
/// <para>
/// On Unix the file is created atomically with mode 0600 (the key is written to a new, owner-only temporary file in the same
/// directory, which is then linked into place), so there is no moment at which it is readable by others; an existing file
/// that grants any permission to its group or to others is refused. On Windows the file inherits the access control list of
/// its directory, so keep it under the user's profile.
/// </para>
/// <para>
/// A wrapped key is <c>nonce (12 bytes) || ciphertext || tag (16 bytes)</c>; the <see cref="KeyId"/>, encoded as UTF-8, is
/// the associated data, so a key wrapped under one development key file never unwraps under another. Instances are
/// thread-safe.
/// </para>
/// </remarks>
public sealed partial class LocalDevelopmentKeyEncryptionKey : IKeyEncryptionKey
{
    /// <summary>The event id of the warning every instance logs when it is opened (<c>LocalDevelopmentKeyInUse</c>).</summary>
    public const int DevelopmentKeyInUseEventId = 1108;

    /// <summary>The prefix of every <see cref="KeyId"/> of a development key.</summary>
    public const string KeyIdPrefix = "local-dev:";

    private const int KeySizeInBytes = 32;
    private const int NonceSizeInBytes = 12;
    private const int TagSizeInBytes = 16;

    private static readonly byte[] FingerprintLabel = Encoding.ASCII.GetBytes("Hipaa.Sdk local development key id v1\0");

    private readonly byte[] _key;
    private readonly byte[] _associatedData;

    private LocalDevelopmentKeyEncryptionKey(byte[] key, string path)
    {
        _key = key;
        FilePath = path;
        KeyId = KeyIdPrefix + Fingerprint(key);
        _associatedData = Encoding.UTF8.GetBytes(KeyId);
    }

    /// <summary>
    /// Gets the identifier of this key: <c>local-dev:</c> followed by a 16-hex-digit fingerprint of the key (a truncated,
    /// domain-separated SHA-256 of it; the key cannot be recovered from it). The same file always gives the same id.
    /// </summary>
    public string KeyId { get; }

    /// <summary>Gets the full path of the file that holds the key.</summary>
    public string FilePath { get; }

    /// <summary>
    /// Opens the development key stored in <paramref name="path"/>, creating the file (and its directory) with a new random
    /// key, owner-only, when it does not exist. Logs a warning that a development-only key is in use.
    /// </summary>
    /// <param name="path">The key file, for example <c>~/.hipaa/dev-kek.key</c>. Its directory is created when missing.</param>
    /// <param name="logger">Receives the development-only warning; <see langword="null"/> logs nothing.</param>
    /// <returns>The key-encryption key.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or white space.</exception>
    /// <exception cref="InvalidOperationException">
    /// The file is readable or writable by its group or by others, or is owned by another user (on Unix), or it does not hold a development key.
    /// </exception>
    /// <exception cref="IOException">The file could not be read or created.</exception>
    public static LocalDevelopmentKeyEncryptionKey OpenOrCreate(string path, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string fullPath = Path.GetFullPath(path);

        var (content, created) = OwnerOnlyKeyFile.ReadOrCreate(
            fullPath,
            "development key file",
            "or delete it to create a new key, which makes keys wrapped by the old one unreadable",
            static () => RandomNumberGenerator.GetBytes(KeySizeInBytes));
        if (content.Length != KeySizeInBytes)
        {
            CryptographicOperations.ZeroMemory(content);
            throw new InvalidOperationException(string.Format(
                CultureInfo.InvariantCulture,
                "The file '{0}' is {1} bytes long and is not a development key file ({2} bytes). Point the development key "
                    + "at another path, or delete the file to create a new key.",
                fullPath,
                content.Length,
                KeySizeInBytes));
        }

        byte[] key = GC.AllocateArray<byte>(KeySizeInBytes, pinned: true);
        content.CopyTo(key, 0);
        CryptographicOperations.ZeroMemory(content);

        var instance = new LocalDevelopmentKeyEncryptionKey(key, fullPath);
        LogDevelopmentKeyInUse(logger ?? NullLogger.Instance, instance.KeyId, fullPath, created);
        return instance;
    }

    /// <inheritdoc />
    /// <remarks>Accepts <see cref="KeyWrapAlgorithm.AesGcmKeyWrap256"/> only.</remarks>
    public byte[] WrapKey(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        ValidateAlgorithm(algorithm);
        if (key.IsEmpty)
        {
            throw new ArgumentException("The key to wrap is empty.", nameof(key));
        }

        cancellationToken.ThrowIfCancellationRequested();

        byte[] output = new byte[NonceSizeInBytes + key.Length + TagSizeInBytes];
        Span<byte> nonce = output.AsSpan(0, NonceSizeInBytes);
        Span<byte> ciphertext = output.AsSpan(NonceSizeInBytes, key.Length);
        Span<byte> tag = output.AsSpan(NonceSizeInBytes + key.Length, TagSizeInBytes);
        RandomNumberGenerator.Fill(nonce);

        using var aes = new AesGcm(_key, TagSizeInBytes);
        aes.Encrypt(nonce, key.Span, ciphertext, tag, _associatedData);
        return output;
    }

    /// <inheritdoc />
    public Task<byte[]> WrapKeyAsync(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<byte[]>(cancellationToken);
        }

        return Task.FromResult(WrapKey(algorithm, key, cancellationToken));
    }

    /// <inheritdoc />
    /// <remarks>Accepts <see cref="KeyWrapAlgorithm.AesGcmKeyWrap256"/> only.</remarks>
    /// <exception cref="CryptographicException">
    /// <paramref name="encryptedKey"/> is truncated, was altered, or was wrapped by another key.
    /// </exception>
    public byte[] UnwrapKey(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default)
    {
        ValidateAlgorithm(algorithm);
        cancellationToken.ThrowIfCancellationRequested();

        if (encryptedKey.Length <= NonceSizeInBytes + TagSizeInBytes)
        {
            throw new CryptographicException(string.Format(
                CultureInfo.InvariantCulture,
                "The wrapped key is {0} bytes long, too short to be a key wrapped by the development key '{1}' "
                    + "(at least {2} bytes: nonce, ciphertext, tag). It is truncated or not a wrapped key.",
                encryptedKey.Length,
                KeyId,
                NonceSizeInBytes + TagSizeInBytes + 1));
        }

        ReadOnlySpan<byte> input = encryptedKey.Span;
        int ciphertextLength = input.Length - NonceSizeInBytes - TagSizeInBytes;
        ReadOnlySpan<byte> nonce = input[..NonceSizeInBytes];
        ReadOnlySpan<byte> ciphertext = input.Slice(NonceSizeInBytes, ciphertextLength);
        ReadOnlySpan<byte> tag = input[(NonceSizeInBytes + ciphertextLength)..];

        byte[] plaintext = new byte[ciphertextLength];
        try
        {
            using var aes = new AesGcm(_key, TagSizeInBytes);
            aes.Decrypt(nonce, ciphertext, tag, plaintext, _associatedData);
        }
        catch (AuthenticationTagMismatchException ex)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            throw new CryptographicException(
                string.Format(
                    CultureInfo.InvariantCulture,
                    "The wrapped key failed authentication under the development key '{0}': it was altered, truncated, or "
                        + "wrapped by a different key file. Use the key file that wrapped it.",
                    KeyId),
                ex);
        }

        return plaintext;
    }

    /// <inheritdoc />
    public Task<byte[]> UnwrapKeyAsync(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<byte[]>(cancellationToken);
        }

        return Task.FromResult(UnwrapKey(algorithm, encryptedKey, cancellationToken));
    }

    [LoggerMessage(
        EventId = DevelopmentKeyInUseEventId,
        EventName = "LocalDevelopmentKeyInUse",
        Level = LogLevel.Warning,
        Message = "A DEVELOPMENT-ONLY key-encryption key {KeyId} is in use (file {KeyFilePath}, newly created: {Created}). "
            + "It does not protect real patient data: use an HSM (Hipaa.Pkcs11) or a key management service (Hipaa.Azure) in production.")]
    private static partial void LogDevelopmentKeyInUse(ILogger logger, string keyId, string keyFilePath, bool created);

    private static void ValidateAlgorithm(string algorithm)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        if (!string.Equals(algorithm, KeyWrapAlgorithm.AesGcmKeyWrap256, StringComparison.Ordinal))
        {
            throw new ArgumentException(
                string.Format(
                    CultureInfo.InvariantCulture,
                    "The development key-encryption key supports only the algorithm '{0}' (KeyWrapAlgorithm.AesGcmKeyWrap256), not '{1}'.",
                    KeyWrapAlgorithm.AesGcmKeyWrap256,
                    algorithm),
                nameof(algorithm));
        }
    }

    private static string Fingerprint(byte[] key)
    {
        Span<byte> input = stackalloc byte[FingerprintLabel.Length + KeySizeInBytes];
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        try
        {
            FingerprintLabel.CopyTo(input);
            key.CopyTo(input[FingerprintLabel.Length..]);
            SHA256.HashData(input, hash);
            return Convert.ToHexStringLower(hash[..8]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(input);
        }
    }
}
