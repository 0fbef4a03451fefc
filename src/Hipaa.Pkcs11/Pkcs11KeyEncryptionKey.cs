using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Hipaa.Encryption;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Net.Pkcs11Interop.HighLevelAPI.Factories;

namespace Hipaa.Pkcs11;

/// <summary>
/// A key-encryption key held in a PKCS#11 token (an HSM, or SoftHSM2 for tests): an AES-256 key that wraps and unwraps
/// data keys with <c>CKM_AES_KEY_WRAP</c> (RFC 3394, <see cref="KeyWrapAlgorithm.AesKeyWrap256"/>) inside the token and
/// never leaves it.
/// </summary>
/// <remarks>
/// <para>
/// The constructor loads the module, logs in to the token with the user PIN and finds the secret key labelled
/// <see cref="Pkcs11KeyEncryptionKeyOptions.KeyLabel"/>. When there is none (and
/// <see cref="Pkcs11KeyEncryptionKeyOptions.CreateKeyIfMissing"/> is set) it generates one in the token: persistent
/// (<c>CKA_TOKEN</c>), private, sensitive, not extractable, and allowed only to wrap and unwrap. An existing key is used
/// only if it has those properties too.
/// </para>
/// <para>
/// To wrap, the data key is imported into the token as a temporary session object, wrapped with <c>C_WrapKey</c> and
/// destroyed; to unwrap, <c>C_UnwrapKey</c> creates a temporary session object whose value is read and which is then
/// destroyed. The wrapped form of an <c>n</c>-byte key is <c>n + 8</c> bytes.
/// </para>
/// <para>
/// Thread-safe: each call uses a logged-in session of its own from a small pool (at most
/// <see cref="Pkcs11KeyEncryptionKeyOptions.MaxSessions"/>), so no session is ever used by two threads at once. All
/// instances in a process that name the same library share the loaded module and, as PKCS#11 defines, the token's login;
/// an instance whose PIN differs from the one that already logged in is refused. Dispose the instance to close its
/// sessions; the last instance unloads the module.
/// </para>
/// <para>
/// A failure of the module or the token becomes a <see cref="KeyServiceUnavailableException"/> whose message names the
/// <see cref="KeyId"/>. A wrapped key that the token rejects as altered or malformed becomes a
/// <see cref="CryptographicException"/>.
/// </para>
/// </remarks>
public sealed class Pkcs11KeyEncryptionKey : IKeyEncryptionKey, IDisposable
{
    private const int WrappingKeySizeInBytes = 32;
    private const int SemiblockSizeInBytes = 8;

    private readonly Pkcs11Module _module;
    private readonly ISlot _slot;
    private readonly ISession _loginSession;
    private readonly IObjectHandle _wrappingKey;
    private readonly ConcurrentBag<ISession> _idleSessions = [];
    private readonly SemaphoreSlim _permits;
    private readonly int _maxSessions;
    private readonly string _keyLabel;
    private int _disposed;

    /// <summary>Connects to the token and finds (or generates) the wrapping key.</summary>
    /// <param name="options">Where the token and the key are; see <see cref="Pkcs11KeyEncryptionKeyOptions"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="options"/> are not valid; the message lists every problem.</exception>
    /// <exception cref="KeyServiceUnavailableException">
    /// The module could not be loaded, no token matches, the PIN was rejected, or the key is missing or unsuitable.
    /// </exception>
    public Pkcs11KeyEncryptionKey(Pkcs11KeyEncryptionKeyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        IReadOnlyList<string> problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("The PKCS#11 key options are not valid: " + string.Join(" ", problems), nameof(options));
        }

        _keyLabel = options.KeyLabel;
        _maxSessions = options.MaxSessions;
        KeyId = FormatKeyId(options.TokenLabel ?? string.Format(CultureInfo.InvariantCulture, "slot-{0}", options.SlotId), _keyLabel);

        _module = Pkcs11Module.Acquire(options.LibraryPath, KeyId);
        ISession? loginSession = null;
        try
        {
            (_slot, TokenLabel) = FindSlot(options);
            KeyId = FormatKeyId(TokenLabel, _keyLabel);
            loginSession = OpenSession(SessionType.ReadWrite);
            LogIn(loginSession, options.UserPin);
            _wrappingKey = FindOrCreateWrappingKey(loginSession, options.CreateKeyIfMissing);
        }
        catch (Exception ex) when (ex is Pkcs11Exception or UnmanagedException)
        {
            CloseQuietly(loginSession);
            _module.Release();
            throw Unavailable("connect to its token", ex);
        }
        catch
        {
            CloseQuietly(loginSession);
            _module.Release();
            throw;
        }

        _loginSession = loginSession;
        _permits = new SemaphoreSlim(_maxSessions, _maxSessions);
    }

    /// <summary>Gets the identifier of this key: <c>pkcs11:</c>, the token label, <c>/</c>, the key label.</summary>
    public string KeyId { get; }

    /// <summary>Gets the label of the token that holds the key.</summary>
    public string TokenLabel { get; }

    /// <inheritdoc />
    /// <remarks>
    /// Accepts <see cref="KeyWrapAlgorithm.AesKeyWrap256"/> only, and keys of at least 16 bytes whose length is a multiple
    /// of 8 (RFC 3394).
    /// </remarks>
    public byte[] WrapKey(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        ValidateAlgorithm(algorithm);
        ValidateKeyToWrap(key);
        _permits.Wait(cancellationToken);
        try
        {
            return Run(lease => WrapCore(lease, key.Span), "wrap a key");
        }
        finally
        {
            _permits.Release();
        }
    }

    /// <inheritdoc />
    /// <remarks>The token call itself is synchronous; waiting for a free session is not.</remarks>
    public async Task<byte[]> WrapKeyAsync(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        ValidateAlgorithm(algorithm);
        ValidateKeyToWrap(key);
        await _permits.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return Run(lease => WrapCore(lease, key.Span), "wrap a key");
        }
        finally
        {
            _permits.Release();
        }
    }

    /// <inheritdoc />
    /// <remarks>Accepts <see cref="KeyWrapAlgorithm.AesKeyWrap256"/> only.</remarks>
    /// <exception cref="CryptographicException">
    /// <paramref name="encryptedKey"/> has an impossible length, or the token rejected it as altered, truncated, or wrapped
    /// by a different key.
    /// </exception>
    public byte[] UnwrapKey(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default)
    {
        ValidateAlgorithm(algorithm);
        ValidateWrappedKey(encryptedKey);
        _permits.Wait(cancellationToken);
        try
        {
            return Run(lease => UnwrapCore(lease, encryptedKey.Span), "unwrap a key");
        }
        finally
        {
            _permits.Release();
        }
    }

    /// <inheritdoc />
    /// <remarks>The token call itself is synchronous; waiting for a free session is not.</remarks>
    public async Task<byte[]> UnwrapKeyAsync(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default)
    {
        ValidateAlgorithm(algorithm);
        ValidateWrappedKey(encryptedKey);
        await _permits.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return Run(lease => UnwrapCore(lease, encryptedKey.Span), "unwrap a key");
        }
        finally
        {
            _permits.Release();
        }
    }

    /// <summary>
    /// Waits for calls in progress, closes this instance's sessions and, when it is the last instance using the module,
    /// finalises the module. The key stays in the token. Later calls throw <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        for (int i = 0; i < _maxSessions; i++)
        {
            _permits.Wait();
        }

        try
        {
            while (_idleSessions.TryTake(out ISession? session))
            {
                CloseQuietly(session);
            }

            CloseQuietly(_loginSession);
            _module.Release();
        }
        finally
        {
            // Callers that were waiting for a session now see the disposed flag and throw ObjectDisposedException.
            _permits.Release(_maxSessions);
        }
    }

    /// <summary>Runs <paramref name="action"/> on a pooled, logged-in session with the wrapping key's handle. For tests.</summary>
    internal T UseSession<T>(Func<ISession, IObjectHandle, T> action)
    {
        _permits.Wait();
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            ISession session = _idleSessions.TryTake(out ISession? idle) ? idle : OpenSession(SessionType.ReadOnly);
            try
            {
                return action(session, _wrappingKey);
            }
            finally
            {
                _idleSessions.Add(session);
            }
        }
        finally
        {
            _permits.Release();
        }
    }

    private static string FormatKeyId(string tokenLabel, string keyLabel) => "pkcs11:" + tokenLabel + "/" + keyLabel;

    private static void ValidateAlgorithm(string algorithm)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        if (!string.Equals(algorithm, KeyWrapAlgorithm.AesKeyWrap256, StringComparison.Ordinal))
        {
            throw new ArgumentException(
                string.Format(
                    CultureInfo.InvariantCulture,
                    "The PKCS#11 key-encryption key supports only the algorithm '{0}' (KeyWrapAlgorithm.AesKeyWrap256, CKM_AES_KEY_WRAP), not '{1}'.",
                    KeyWrapAlgorithm.AesKeyWrap256,
                    algorithm),
                nameof(algorithm));
        }
    }

    private static void ValidateKeyToWrap(ReadOnlyMemory<byte> key)
    {
        if (key.Length < 2 * SemiblockSizeInBytes || key.Length % SemiblockSizeInBytes != 0)
        {
            throw new ArgumentException(
                string.Format(
                    CultureInfo.InvariantCulture,
                    "AES key wrap (RFC 3394) wraps keys of at least 16 bytes whose length is a multiple of 8; this key is {0} bytes.",
                    key.Length),
                nameof(key));
        }
    }

    private static CKK KeyTypeFor(int keyLength) => keyLength is 16 or 24 or 32 ? CKK.CKK_AES : CKK.CKK_GENERIC_SECRET;

    private static void CloseQuietly(ISession? session)
    {
        if (session is null)
        {
            return;
        }

        try
        {
            session.Dispose();
        }
        catch (Pkcs11Exception)
        {
            // The session is gone already (token removed, module finalised): nothing left to close.
        }
    }

    private static void DisposeAll(List<IObjectAttribute> attributes)
    {
        foreach (IObjectAttribute attribute in attributes)
        {
            attribute.Dispose();
        }
    }

    private void ValidateWrappedKey(ReadOnlyMemory<byte> encryptedKey)
    {
        if (encryptedKey.Length < 3 * SemiblockSizeInBytes || encryptedKey.Length % SemiblockSizeInBytes != 0)
        {
            throw new CryptographicException(string.Format(
                CultureInfo.InvariantCulture,
                "The wrapped key is {0} bytes long, which no key wrapped by the PKCS#11 key '{1}' can be (AES key wrap output is "
                    + "at least 24 bytes and a multiple of 8). It is truncated or not a wrapped key.",
                encryptedKey.Length,
                KeyId));
        }
    }

    private T Run<T>(Func<Lease, T> operation, string doing)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        ISession session;
        try
        {
            session = _idleSessions.TryTake(out ISession? idle) ? idle : OpenSession(SessionType.ReadOnly);
        }
        catch (Exception ex) when (ex is Pkcs11Exception or UnmanagedException)
        {
            throw Unavailable("open a session to " + doing, ex);
        }

        var lease = new Lease(session);
        try
        {
            return operation(lease);
        }
        catch (Exception ex) when (ex is Pkcs11Exception or UnmanagedException)
        {
            lease.Discard = true;
            throw Unavailable(doing, ex);
        }
        finally
        {
            if (lease.Discard)
            {
                CloseQuietly(session);
            }
            else
            {
                _idleSessions.Add(session);
            }
        }
    }

    private byte[] WrapCore(Lease lease, ReadOnlySpan<byte> key)
    {
        ISession session = lease.Session;
        IObjectAttributeFactory attributes = session.Factories.ObjectAttributeFactory;
        byte[] value = key.ToArray();
        var template = new List<IObjectAttribute>
        {
            attributes.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
            attributes.Create(CKA.CKA_KEY_TYPE, KeyTypeFor(value.Length)),
            attributes.Create(CKA.CKA_TOKEN, false),
            attributes.Create(CKA.CKA_PRIVATE, true),
            attributes.Create(CKA.CKA_SENSITIVE, false),
            attributes.Create(CKA.CKA_EXTRACTABLE, true),
            attributes.Create(CKA.CKA_VALUE, value),
        };

        IObjectHandle? dataKey = null;
        try
        {
            dataKey = session.CreateObject(template);
            using IMechanism mechanism = session.Factories.MechanismFactory.Create(CKM.CKM_AES_KEY_WRAP);
            return session.WrapKey(mechanism, _wrappingKey, dataKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(value);
            DisposeAll(template);
            Destroy(lease, dataKey);
        }
    }

    private byte[] UnwrapCore(Lease lease, ReadOnlySpan<byte> encryptedKey)
    {
        ISession session = lease.Session;
        IObjectAttributeFactory attributes = session.Factories.ObjectAttributeFactory;
        var template = new List<IObjectAttribute>
        {
            attributes.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
            attributes.Create(CKA.CKA_KEY_TYPE, KeyTypeFor(encryptedKey.Length - SemiblockSizeInBytes)),
            attributes.Create(CKA.CKA_TOKEN, false),
            attributes.Create(CKA.CKA_PRIVATE, true),
            attributes.Create(CKA.CKA_SENSITIVE, false),
            attributes.Create(CKA.CKA_EXTRACTABLE, true),
        };

        IObjectHandle? dataKey = null;
        try
        {
            using IMechanism mechanism = session.Factories.MechanismFactory.Create(CKM.CKM_AES_KEY_WRAP);
            byte[] wrapped = encryptedKey.ToArray();
            try
            {
                dataKey = session.UnwrapKey(mechanism, _wrappingKey, wrapped, template);
            }
            catch (Pkcs11Exception ex) when (IsWrappedKeyRejection(ex.RV))
            {
                throw WrappedKeyRejected(ex);
            }
            catch (Pkcs11Exception ex) when (ex.RV == CKR.CKR_GENERAL_ERROR)
            {
                // SoftHSM2 (and some other tokens) report a failed AES key wrap integrity check as CKR_GENERAL_ERROR. Tell it
                // apart from a failing token: the session must still answer, and the same input must fail the same way again.
                session.GetSessionInfo();
                try
                {
                    dataKey = session.UnwrapKey(mechanism, _wrappingKey, wrapped, template);
                }
                catch (Pkcs11Exception again) when (again.RV == CKR.CKR_GENERAL_ERROR || IsWrappedKeyRejection(again.RV))
                {
                    session.GetSessionInfo();
                    throw WrappedKeyRejected(again);
                }
            }

            List<IObjectAttribute> read = session.GetAttributeValue(dataKey, [CKA.CKA_VALUE]);
            try
            {
                if (read[0].CannotBeRead)
                {
                    throw new KeyServiceUnavailableException(
                        string.Format(
                            CultureInfo.InvariantCulture,
                            "The PKCS#11 token unwrapped a key with '{0}' but did not let its value be read. The token must "
                                + "allow session keys that are extractable and not sensitive.",
                            KeyId))
                    {
                        KeyId = KeyId,
                    };
                }

                return read[0].GetValueAsByteArray();
            }
            finally
            {
                DisposeAll(read);
            }
        }
        finally
        {
            DisposeAll(template);
            Destroy(lease, dataKey);
        }
    }

    /// <summary>
    /// Returns whether the token's answer means that the wrapped key itself is bad: AES key wrap's integrity check fails as
    /// one of these on conforming tokens. (SoftHSM2 answers <c>CKR_GENERAL_ERROR</c> instead, which
    /// <see cref="UnwrapCore"/> treats as a rejection only when it repeats for the same input while the session still
    /// answers.)
    /// </summary>
    private static bool IsWrappedKeyRejection(CKR rv) => rv is
        CKR.CKR_WRAPPED_KEY_INVALID or
        CKR.CKR_WRAPPED_KEY_LEN_RANGE or
        CKR.CKR_ENCRYPTED_DATA_INVALID or
        CKR.CKR_ENCRYPTED_DATA_LEN_RANGE;

    private CryptographicException WrappedKeyRejected(Pkcs11Exception exception) =>
        new(
            string.Format(
                CultureInfo.InvariantCulture,
                "The PKCS#11 key '{0}' rejected the wrapped key ({1}): it was altered, truncated, or wrapped by a different key. "
                    + "Unwrap it with the key that wrapped it.",
                KeyId,
                exception.RV),
            exception);

    /// <summary>Destroys a temporary session object; if that fails, the session is closed instead, which destroys it too.</summary>
    private static void Destroy(Lease lease, IObjectHandle? handle)
    {
        if (handle is null)
        {
            return;
        }

        try
        {
            lease.Session.DestroyObject(handle);
        }
        catch (Pkcs11Exception)
        {
            lease.Discard = true;
        }
    }

    private ISession OpenSession(SessionType type) => _slot.OpenSession(type);

    private (ISlot Slot, string Label) FindSlot(Pkcs11KeyEncryptionKeyOptions options)
    {
        var seen = new List<string>();
        (ISlot Slot, string Label)? match = null;
        foreach (ISlot slot in _module.Library.GetSlotList(SlotsType.WithTokenPresent))
        {
            string label = slot.GetTokenInfo().Label.Trim();
            seen.Add(string.Format(CultureInfo.InvariantCulture, "'{0}' (slot {1})", label, slot.SlotId));
            if (options.SlotId is ulong slotId && slot.SlotId != slotId)
            {
                continue;
            }

            if (!string.IsNullOrWhiteSpace(options.TokenLabel) && !string.Equals(label, options.TokenLabel, StringComparison.Ordinal))
            {
                continue;
            }

            if (match is not null)
            {
                throw new KeyServiceUnavailableException(string.Format(
                    CultureInfo.InvariantCulture,
                    "More than one PKCS#11 token is labelled '{0}' (slots {1} and {2}), so the key '{3}' is ambiguous. Give "
                        + "the tokens distinct labels, or set Pkcs11KeyEncryptionKeyOptions.SlotId as well.",
                    label,
                    match.Value.Slot.SlotId,
                    slot.SlotId,
                    KeyId))
                {
                    KeyId = KeyId,
                };
            }

            match = (slot, label);
        }

        return match ?? throw new KeyServiceUnavailableException(string.Format(
            CultureInfo.InvariantCulture,
            "No PKCS#11 token matches the key '{0}' (token label {1}, slot {2}). Tokens present: {3}. Check "
                + "Pkcs11KeyEncryptionKeyOptions.TokenLabel and SlotId, and that the token is initialised and present.",
            KeyId,
            options.TokenLabel is null ? "any" : "'" + options.TokenLabel + "'",
            options.SlotId?.ToString(CultureInfo.InvariantCulture) ?? "any",
            seen.Count == 0 ? "none" : string.Join(", ", seen)))
        {
            KeyId = KeyId,
        };
    }

    private void LogIn(ISession session, string pin)
    {
        bool alreadyLoggedIn = false;
        try
        {
            session.Login(CKU.CKU_USER, pin);
        }
        catch (Pkcs11Exception ex) when (ex.RV == CKR.CKR_USER_ALREADY_LOGGED_IN)
        {
            alreadyLoggedIn = true;
        }
        catch (Pkcs11Exception ex) when (ex.RV is CKR.CKR_PIN_INCORRECT or CKR.CKR_PIN_INVALID or CKR.CKR_PIN_LEN_RANGE)
        {
            throw Unavailable(
                "log in",
                ex,
                "The token rejected the user PIN: check Pkcs11KeyEncryptionKeyOptions.UserPin. Repeated wrong PINs can lock the token.");
        }
        catch (Pkcs11Exception ex) when (ex.RV is CKR.CKR_PIN_LOCKED or CKR.CKR_PIN_EXPIRED)
        {
            throw Unavailable(
                "log in",
                ex,
                "The user PIN is locked or expired: the token's security officer must reset it (for SoftHSM2, re-initialise the PIN with softhsm2-util or C_InitPIN).");
        }

        if (!_module.RecordLogin(_slot.SlotId, pin, alreadyLoggedIn))
        {
            throw new KeyServiceUnavailableException(string.Format(
                CultureInfo.InvariantCulture,
                "The user PIN configured for the PKCS#11 key '{0}' differs from the PIN with which this process is already "
                    + "logged in to the token '{1}', so it was not accepted. Check Pkcs11KeyEncryptionKeyOptions.UserPin; all "
                    + "keys of one token in a process must use the same PIN.",
                KeyId,
                TokenLabel))
            {
                KeyId = KeyId,
            };
        }
    }

    private IObjectHandle FindOrCreateWrappingKey(ISession session, bool createIfMissing)
    {
        IObjectAttributeFactory attributes = session.Factories.ObjectAttributeFactory;
        lock (_module.KeyCreationGate)
        {
            var search = new List<IObjectAttribute>
            {
                attributes.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
                attributes.Create(CKA.CKA_TOKEN, true),
                attributes.Create(CKA.CKA_LABEL, _keyLabel),
            };
            List<IObjectHandle> found;
            try
            {
                found = session.FindAllObjects(search);
            }
            finally
            {
                DisposeAll(search);
            }

            switch (found.Count)
            {
                case 1:
                    VerifyWrappingKey(session, found[0]);
                    return found[0];
                case > 1:
                    throw new KeyServiceUnavailableException(string.Format(
                        CultureInfo.InvariantCulture,
                        "The PKCS#11 token '{0}' holds {1} secret keys labelled '{2}', so the key '{3}' is ambiguous. Keep one "
                            + "(the one that wrapped your data keys) and delete or relabel the others.",
                        TokenLabel,
                        found.Count,
                        _keyLabel,
                        KeyId))
                    {
                        KeyId = KeyId,
                    };
                default:
                    if (!createIfMissing)
                    {
                        throw new KeyServiceUnavailableException(string.Format(
                            CultureInfo.InvariantCulture,
                            "The PKCS#11 token '{0}' holds no secret key labelled '{1}' and CreateKeyIfMissing is false. Create "
                                + "the key in the token (AES-256; CKA_WRAP and CKA_UNWRAP true; CKA_SENSITIVE true; "
                                + "CKA_EXTRACTABLE false), correct Pkcs11KeyEncryptionKeyOptions.KeyLabel, or set CreateKeyIfMissing.",
                            TokenLabel,
                            _keyLabel))
                        {
                            KeyId = KeyId,
                        };
                    }

                    return GenerateWrappingKey(session);
            }
        }
    }

    private IObjectHandle GenerateWrappingKey(ISession session)
    {
        IObjectAttributeFactory attributes = session.Factories.ObjectAttributeFactory;
        var template = new List<IObjectAttribute>
        {
            attributes.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
            attributes.Create(CKA.CKA_KEY_TYPE, CKK.CKK_AES),
            attributes.Create(CKA.CKA_VALUE_LEN, (ulong)WrappingKeySizeInBytes),
            attributes.Create(CKA.CKA_LABEL, _keyLabel),
            attributes.Create(CKA.CKA_TOKEN, true),
            attributes.Create(CKA.CKA_PRIVATE, true),
            attributes.Create(CKA.CKA_SENSITIVE, true),
            attributes.Create(CKA.CKA_EXTRACTABLE, false),
            attributes.Create(CKA.CKA_WRAP, true),
            attributes.Create(CKA.CKA_UNWRAP, true),
            attributes.Create(CKA.CKA_ENCRYPT, false),
            attributes.Create(CKA.CKA_DECRYPT, false),
            attributes.Create(CKA.CKA_SIGN, false),
            attributes.Create(CKA.CKA_VERIFY, false),
            attributes.Create(CKA.CKA_DERIVE, false),
        };
        try
        {
            using IMechanism mechanism = session.Factories.MechanismFactory.Create(CKM.CKM_AES_KEY_GEN);
            return session.GenerateKey(mechanism, template);
        }
        finally
        {
            DisposeAll(template);
        }
    }

    private void VerifyWrappingKey(ISession session, IObjectHandle key)
    {
        List<IObjectAttribute> read = session.GetAttributeValue(
            key,
            [CKA.CKA_KEY_TYPE, CKA.CKA_VALUE_LEN, CKA.CKA_WRAP, CKA.CKA_UNWRAP, CKA.CKA_SENSITIVE, CKA.CKA_EXTRACTABLE]);
        try
        {
            var problems = new List<string>();
            if (read[0].CannotBeRead || read[0].GetValueAsUlong() != (ulong)CKK.CKK_AES)
            {
                problems.Add("it is not an AES key");
            }
            else if (read[1].CannotBeRead || read[1].GetValueAsUlong() != WrappingKeySizeInBytes)
            {
                problems.Add("it is not 256 bits long");
            }

            if (read[2].CannotBeRead || !read[2].GetValueAsBool() || read[3].CannotBeRead || !read[3].GetValueAsBool())
            {
                problems.Add("it may not wrap and unwrap (CKA_WRAP, CKA_UNWRAP)");
            }

            if (read[4].CannotBeRead || !read[4].GetValueAsBool() || read[5].CannotBeRead || read[5].GetValueAsBool())
            {
                problems.Add("its value could leave the token (it must be CKA_SENSITIVE and not CKA_EXTRACTABLE)");
            }

            if (problems.Count > 0)
            {
                throw new KeyServiceUnavailableException(string.Format(
                    CultureInfo.InvariantCulture,
                    "The secret key labelled '{0}' in the PKCS#11 token '{1}' cannot be used as the key-encryption key '{2}': {3}. "
                        + "Use a different KeyLabel, for which a suitable key is generated.",
                    _keyLabel,
                    TokenLabel,
                    KeyId,
                    string.Join("; ", problems)))
                {
                    KeyId = KeyId,
                };
            }
        }
        finally
        {
            DisposeAll(read);
        }
    }

    private KeyServiceUnavailableException Unavailable(string doing, Exception exception, string? advice = null) =>
        new(
            string.Format(
                CultureInfo.InvariantCulture,
                "The PKCS#11 key '{0}' could not {1}: {2}. {3}",
                KeyId,
                doing,
                Pkcs11Module.Describe(exception),
                advice ?? "Check that the token is present and the module is configured; nothing was written and the operation can be retried."),
            exception)
        {
            KeyId = KeyId,
        };

    /// <summary>A session lent to one operation, and whether it must be closed rather than returned to the pool.</summary>
    private sealed class Lease(ISession session)
    {
        public ISession Session { get; } = session;

        public bool Discard { get; set; }
    }
}
