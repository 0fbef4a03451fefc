using System.Security.Cryptography;
using Hipaa.Encryption;
using Hipaa.Testing;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Hipaa.Pkcs11.Tests;

/// <summary>
/// Against the SoftHSM2 token that scripts/test.sh initialises. The tests of this class run one after another (one xunit
/// class), and each disposes its keys, so the process's login to the token starts fresh in every test.
/// </summary>
public sealed class Pkcs11KeyEncryptionKeyTests
{
    private const string Algorithm = KeyWrapAlgorithm.AesKeyWrap256;

    [Pkcs11Fact]
    public void WrapKey_ThenUnwrapKey_RoundTripsARandom256BitKey()
    {
        using var kek = new Pkcs11KeyEncryptionKey(Options());
        byte[] dek = RandomNumberGenerator.GetBytes(32);

        byte[] wrapped = kek.WrapKey(Algorithm, dek);
        byte[] unwrapped = kek.UnwrapKey(Algorithm, wrapped);

        Assert.Equal(40, wrapped.Length);
        Assert.False(wrapped.AsSpan(8).SequenceEqual(dek));
        Assert.Equal(dek, unwrapped);
    }

    [Pkcs11Fact]
    public async Task WrapKeyAsync_ThenUnwrapKeyAsync_RoundTripsKeysOfOtherLengths()
    {
        using var kek = new Pkcs11KeyEncryptionKey(Options());

        foreach (int length in new[] { 16, 24, 32, 48, 64 })
        {
            byte[] dek = RandomNumberGenerator.GetBytes(length);
            byte[] wrapped = await kek.WrapKeyAsync(Algorithm, dek);
            Assert.Equal(length + 8, wrapped.Length);
            Assert.Equal(dek, await kek.UnwrapKeyAsync(Algorithm, wrapped));
        }
    }

    [Pkcs11Fact]
    public void KeyId_NamesTokenAndKeyLabel()
    {
        string label = NewLabel();
        using var kek = new Pkcs11KeyEncryptionKey(Options(label));

        Assert.Equal("pkcs11:" + TestEnvironment.Pkcs11TokenLabel + "/" + label, kek.KeyId);
        Assert.Equal(TestEnvironment.Pkcs11TokenLabel, kek.TokenLabel);
    }

    [Pkcs11Fact]
    public void WrappingKey_IsGeneratedInTheTokenAndItsValueCannotBeRead()
    {
        using var kek = new Pkcs11KeyEncryptionKey(Options());

        var (attributes, valueReadable) = kek.UseSession((session, key) =>
        {
            List<IObjectAttribute> read = session.GetAttributeValue(
                key,
                [CKA.CKA_TOKEN, CKA.CKA_SENSITIVE, CKA.CKA_EXTRACTABLE, CKA.CKA_WRAP, CKA.CKA_UNWRAP, CKA.CKA_VALUE_LEN, CKA.CKA_KEY_TYPE]);
            bool[] flags = [read[0].GetValueAsBool(), read[1].GetValueAsBool(), read[2].GetValueAsBool(), read[3].GetValueAsBool(), read[4].GetValueAsBool()];
            ulong length = read[5].GetValueAsUlong();
            ulong type = read[6].GetValueAsUlong();

            List<IObjectAttribute> value = session.GetAttributeValue(key, [CKA.CKA_VALUE]);
            return ((flags, length, type), !value[0].CannotBeRead);
        });

        Assert.Equal([true, true, false, true, true], attributes.flags);
        Assert.Equal(32UL, attributes.length);
        Assert.Equal((ulong)CKK.CKK_AES, attributes.type);
        Assert.False(valueReadable);
    }

    [Pkcs11Fact]
    public void WrappingKey_CannotBeWrappedOutOfTheToken()
    {
        using var kek = new Pkcs11KeyEncryptionKey(Options());

        var ex = kek.UseSession((session, key) =>
        {
            using IMechanism mechanism = session.Factories.MechanismFactory.Create(CKM.CKM_AES_KEY_WRAP);
            return Assert.Throws<Pkcs11Exception>(() => session.WrapKey(mechanism, key, key));
        });

        Assert.Equal(CKR.CKR_KEY_UNEXTRACTABLE, ex.RV);
    }

    [Pkcs11Fact]
    public void SecondInstance_SameTokenAndLabel_UnwrapsWhatTheFirstWrapped()
    {
        string label = NewLabel();
        byte[] dek = RandomNumberGenerator.GetBytes(32);
        byte[] wrapped;
        using (var first = new Pkcs11KeyEncryptionKey(Options(label)))
        {
            wrapped = first.WrapKey(Algorithm, dek);

            using var concurrent = new Pkcs11KeyEncryptionKey(Options(label));
            Assert.Equal(first.KeyId, concurrent.KeyId);
            Assert.Equal(dek, concurrent.UnwrapKey(Algorithm, wrapped));
        }

        // After every session closed and the module was finalised: a fresh load, login and key lookup.
        using var later = new Pkcs11KeyEncryptionKey(Options(label) with { CreateKeyIfMissing = false });
        Assert.Equal(dek, later.UnwrapKey(Algorithm, wrapped));
    }

    [Pkcs11Fact]
    public void OtherKeyLabel_CannotUnwrap()
    {
        using var first = new Pkcs11KeyEncryptionKey(Options());
        using var second = new Pkcs11KeyEncryptionKey(Options());
        byte[] wrapped = first.WrapKey(Algorithm, RandomNumberGenerator.GetBytes(32));

        Assert.Throws<CryptographicException>(() => second.UnwrapKey(Algorithm, wrapped));
    }

    [Pkcs11Fact]
    public async Task ConcurrentWrapsAndUnwraps_From8Threads_AllRoundTrip()
    {
        using var kek = new Pkcs11KeyEncryptionKey(Options() with { MaxSessions = 4 });
        using var start = new Barrier(8);

        int[] roundTrips = await Task.WhenAll(Enumerable.Range(0, 8).Select(thread => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                int ok = 0;
                for (int i = 0; i < 50; i++)
                {
                    byte[] dek = RandomNumberGenerator.GetBytes(32);
                    byte[] wrapped = (thread + i) % 2 == 0
                        ? kek.WrapKey(Algorithm, dek)
                        : kek.WrapKeyAsync(Algorithm, dek).GetAwaiter().GetResult();
                    byte[] unwrapped = i % 3 == 0
                        ? kek.UnwrapKeyAsync(Algorithm, wrapped).GetAwaiter().GetResult()
                        : kek.UnwrapKey(Algorithm, wrapped);
                    ok += dek.AsSpan().SequenceEqual(unwrapped) ? 1 : 0;
                }

                return ok;
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)));

        Assert.All(roundTrips, count => Assert.Equal(50, count));
    }

    [Pkcs11Fact]
    public void WrongPin_FailsWithAClearError()
    {
        var ex = Assert.Throws<KeyServiceUnavailableException>(() => new Pkcs11KeyEncryptionKey(Options() with { UserPin = "9999" }));

        Assert.Contains("CKR_PIN_INCORRECT", ex.Message, StringComparison.Ordinal);
        Assert.Contains("UserPin", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("9999", ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("pkcs11:" + TestEnvironment.Pkcs11TokenLabel + "/", ex.KeyId, StringComparison.Ordinal);
    }

    [Pkcs11Fact]
    public void WrongPin_WhileAnotherKeyIsLoggedIn_IsStillRefused()
    {
        using var loggedIn = new Pkcs11KeyEncryptionKey(Options());

        var ex = Assert.Throws<KeyServiceUnavailableException>(() => new Pkcs11KeyEncryptionKey(Options() with { UserPin = "9999" }));

        Assert.Contains("differs", ex.Message, StringComparison.Ordinal);
        Assert.Equal(32, loggedIn.UnwrapKey(Algorithm, loggedIn.WrapKey(Algorithm, new byte[32])).Length);
    }

    [Pkcs11Fact]
    public void UnknownToken_FailsNamingTheTokensPresent()
    {
        var ex = Assert.Throws<KeyServiceUnavailableException>(() => new Pkcs11KeyEncryptionKey(Options() with { TokenLabel = "no-such-token" }));

        Assert.Contains("no-such-token", ex.Message, StringComparison.Ordinal);
        Assert.Contains(TestEnvironment.Pkcs11TokenLabel, ex.Message, StringComparison.Ordinal);
    }

    [Pkcs11Fact]
    public void MissingKey_WithoutCreateKeyIfMissing_FailsNamingTheLabel()
    {
        string label = NewLabel();

        var ex = Assert.Throws<KeyServiceUnavailableException>(() => new Pkcs11KeyEncryptionKey(Options(label) with { CreateKeyIfMissing = false }));

        Assert.Contains(label, ex.Message, StringComparison.Ordinal);
        Assert.Equal("pkcs11:" + TestEnvironment.Pkcs11TokenLabel + "/" + label, ex.KeyId);
    }

    [Pkcs11Fact]
    public void MissingLibrary_FailsWithKeyServiceUnavailable()
    {
        var ex = Assert.Throws<KeyServiceUnavailableException>(() => new Pkcs11KeyEncryptionKey(Options() with { LibraryPath = "/nonexistent/libpkcs11.so" }));

        Assert.Contains("/nonexistent/libpkcs11.so", ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("pkcs11:" + TestEnvironment.Pkcs11TokenLabel + "/hipaa-test-kek-", ex.KeyId, StringComparison.Ordinal);
    }

    [Pkcs11Fact]
    public void UnwrapKey_Tampered_Fails()
    {
        using var kek = new Pkcs11KeyEncryptionKey(Options());
        byte[] dek = RandomNumberGenerator.GetBytes(32);
        byte[] wrapped = kek.WrapKey(Algorithm, dek);

        for (int index = 0; index < wrapped.Length; index += 13)
        {
            byte[] tampered = (byte[])wrapped.Clone();
            tampered[index] ^= 0x40;
            var ex = Assert.Throws<CryptographicException>(() => kek.UnwrapKey(Algorithm, tampered));
            Assert.Contains(kek.KeyId, ex.Message, StringComparison.Ordinal);
        }

        // The token still works afterwards.
        Assert.Equal(dek, kek.UnwrapKey(Algorithm, wrapped));
    }

    [Pkcs11Fact]
    public void UnwrapKey_Truncated_FailsWithoutCallingTheToken()
    {
        using var kek = new Pkcs11KeyEncryptionKey(Options());
        byte[] wrapped = kek.WrapKey(Algorithm, RandomNumberGenerator.GetBytes(32));

        Assert.Throws<CryptographicException>(() => kek.UnwrapKey(Algorithm, wrapped.AsMemory(0, 39)));
        Assert.Throws<CryptographicException>(() => kek.UnwrapKey(Algorithm, wrapped.AsMemory(0, 16)));
        Assert.Throws<CryptographicException>(() => kek.UnwrapKey(Algorithm, ReadOnlyMemory<byte>.Empty));
    }

    [Pkcs11Fact]
    public void OtherAlgorithmsAndBadKeyLengths_AreRejected()
    {
        using var kek = new Pkcs11KeyEncryptionKey(Options());

        var ex = Assert.Throws<ArgumentException>(() => kek.WrapKey(KeyWrapAlgorithm.AesGcmKeyWrap256, new byte[32]));
        Assert.Contains(KeyWrapAlgorithm.AesKeyWrap256, ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => kek.UnwrapKey(KeyWrapAlgorithm.RsaOaep256, new byte[40]));
        Assert.Throws<ArgumentException>(() => kek.WrapKey(Algorithm, new byte[8]));
        Assert.Throws<ArgumentException>(() => kek.WrapKey(Algorithm, new byte[33]));
    }

    [Pkcs11Fact]
    public async Task Disposed_CallsThrowObjectDisposed()
    {
        var kek = new Pkcs11KeyEncryptionKey(Options());
        byte[] wrapped = kek.WrapKey(Algorithm, new byte[32]);
        kek.Dispose();
        kek.Dispose();

        Assert.Throws<ObjectDisposedException>(() => kek.UnwrapKey(Algorithm, wrapped));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => kek.WrapKeyAsync(Algorithm, new byte[32]));
    }

    [Fact]
    public void InvalidOptions_ListEveryProblem()
    {
        var options = new Pkcs11KeyEncryptionKeyOptions { MaxSessions = 0 };

        var ex = Assert.Throws<ArgumentException>(() => new Pkcs11KeyEncryptionKey(options));

        Assert.Equal(5, options.Validate().Count);
        foreach (string setting in new[] { "LibraryPath", "TokenLabel", "UserPin", "KeyLabel", "MaxSessions" })
        {
            Assert.Contains(setting, ex.Message, StringComparison.Ordinal);
        }

        Assert.Throws<ArgumentNullException>(() => new Pkcs11KeyEncryptionKey(null!));
    }

    private static string NewLabel() => "hipaa-test-kek-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    private static OptionsRecord Options(string? keyLabel = null) => new(
        TestEnvironment.RequirePkcs11Library(),
        TestEnvironment.Pkcs11TokenLabel,
        TestEnvironment.Pkcs11Pin,
        keyLabel ?? NewLabel(),
        CreateKeyIfMissing: true,
        MaxSessions: 4);

    /// <summary>Options as a record, so tests can vary one setting with <c>with</c>.</summary>
    private sealed record OptionsRecord(string LibraryPath, string TokenLabel, string UserPin, string KeyLabel, bool CreateKeyIfMissing, int MaxSessions)
    {
        public static implicit operator Pkcs11KeyEncryptionKeyOptions(OptionsRecord r) => new()
        {
            LibraryPath = r.LibraryPath,
            TokenLabel = r.TokenLabel,
            UserPin = r.UserPin,
            KeyLabel = r.KeyLabel,
            CreateKeyIfMissing = r.CreateKeyIfMissing,
            MaxSessions = r.MaxSessions,
        };
    }
}
