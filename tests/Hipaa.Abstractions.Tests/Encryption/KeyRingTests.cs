using System.Collections.Concurrent;
using System.Security.Cryptography;
using Hipaa.Encryption;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Hipaa.Tests.Encryption;

public sealed class KeyRingTests
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);
    private static readonly KeyRingSettings Settings = new() { CacheLifetime = Lifetime };
    private static readonly FieldBinding Binding = new(new FieldColumn(string.Empty, "Patients", "Name"), "17", "patient:17");
    private static readonly FieldValueCodec Text = FieldValueCodec.For(typeof(string));

    private readonly InMemoryDataKeyStore _store = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 8, 0, 0, TimeSpan.Zero));
    private readonly CountingKeyEncryptionKey _kek = new("kek-2026");

    // ---- One KEK call per cache period ----

    [Fact]
    public async Task GetDecryptionKeyAndGetEncryptionKey_ManyCalls_UnwrapWithTheKekOncePerCachePeriod()
    {
        var dataKeyId = Ring().GetEncryptionKey(KeyScopes.Application).Id;
        Assert.Equal((1, 0), (_kek.Wraps, _kek.Unwraps)); // the intermediate key was created, nothing unwrapped yet
        var reader = Ring();

        await UseManyTimes(reader, dataKeyId);
        Assert.Equal(1, _kek.Unwraps);

        _time.Advance(Lifetime - TimeSpan.FromTicks(1));
        await UseManyTimes(reader, dataKeyId);
        Assert.Equal(1, _kek.Unwraps);

        _time.Advance(TimeSpan.FromTicks(1));
        await UseManyTimes(reader, dataKeyId);
        Assert.Equal(2, _kek.Unwraps);

        _time.Advance(Lifetime + TimeSpan.FromSeconds(1));
        await UseManyTimes(reader, dataKeyId);
        Assert.Equal(3, _kek.Unwraps);
        Assert.Equal(1, _kek.Wraps);
    }

    [Fact]
    public async Task GetDecryptionKeyAsync_SixteenConcurrentFirstRequestsOnAColdRing_UnwrapWithTheKekOnce()
    {
        const int Callers = 16;
        var dataKeyId = Ring().GetEncryptionKey(KeyScopes.Application).Id;
        var cold = Ring();
        var gate = _kek.HoldUnwraps();
        using var start = new Barrier(Callers);
        using var inFlight = new CountdownEvent(Callers);

        var callers = Enumerable.Range(0, Callers).Select(_ => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                var pending = cold.GetDecryptionKeyAsync(dataKeyId, CancellationToken.None);
                inFlight.Signal();
                return pending.AsTask();
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap()).ToArray();

        await _kek.UnwrapEntered;
        await Task.Run(() => inFlight.Wait(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, inFlight.CurrentCount);
        Assert.All(callers, c => Assert.False(c.IsCompleted)); // all sixteen are waiting on the one KEK call
        gate.SetResult();
        var keys = await Task.WhenAll(callers);

        Assert.Equal(1, _kek.Unwraps);
        Assert.Single(keys.Distinct());
        Assert.Equal(dataKeyId, keys[0].Id);
    }

    [Fact]
    public async Task GetEncryptionKey_SixteenSynchronousFirstRequestsOnAColdRing_UnwrapWithTheKekOnce()
    {
        const int Callers = 16;
        Ring().GetEncryptionKey(KeyScopes.Application);
        var cold = Ring();
        var gate = _kek.HoldUnwraps();
        using var start = new Barrier(Callers + 1);

        var callers = Enumerable.Range(0, Callers).Select(_ => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                return cold.GetEncryptionKey(KeyScopes.Application);
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();

        start.SignalAndWait();
        await _kek.UnwrapEntered;
        gate.SetResult();
        var keys = await Task.WhenAll(callers);

        Assert.Equal(1, _kek.Unwraps);
        Assert.Single(keys.Distinct());
    }

    [Fact]
    public void GetEncryptionKey_ManyPatientScopes_CallTheKekOnceForTheirSharedIntermediateKey()
    {
        Ring().GetEncryptionKey(KeyScopes.Application);
        var writer = Ring();

        var ids = Enumerable.Range(0, 200).Select(i => writer.GetEncryptionKey(KeyScopes.Patient($"MRN-{i:0000}")).Id).ToList();

        Assert.Equal(200, ids.Distinct().Count());
        Assert.Equal((1, 1), (_kek.Wraps, _kek.Unwraps));
        var records = _store.Snapshot();
        var intermediate = Assert.Single(records, r => r.Kind == DataKeyKind.Intermediate);
        Assert.All(records.Where(r => r.Scope.StartsWith("patient:", StringComparison.Ordinal)), r =>
        {
            Assert.Equal(DataKeyKind.Data, r.Kind);
            Assert.Equal(intermediate.Id.ToString(), r.WrappedBy);
        });

        var reader = Ring();
        foreach (var id in ids)
        {
            Assert.Equal(id, reader.GetDecryptionKey(id).Id);
        }

        Assert.Equal((1, 2), (_kek.Wraps, _kek.Unwraps));
    }

    // ---- Roll ----

    [Fact]
    public async Task RollDataKeyAsync_ActiveKey_NewWritesUseTheNewKeyAndOldValuesStillDecrypt()
    {
        var ring = Ring();
        var old = ring.GetEncryptionKey(KeyScopes.Application);
        var stored = FieldCipher.Encrypt(old, Text, "Jane Doe", Binding);
        _time.Advance(TimeSpan.FromSeconds(5));

        var newId = await ring.RollDataKeyAsync(KeyScopes.Application, CancellationToken.None);

        Assert.NotEqual(old.Id, newId);
        Assert.Equal(newId, ring.GetEncryptionKey(KeyScopes.Application).Id);
        Assert.Equal("Jane Doe", Open(ring, stored));
        Assert.False(await ring.IsActiveKeyAsync(KeyScopes.Application, old.Id, CancellationToken.None));
        Assert.True(await ring.IsActiveKeyAsync(KeyScopes.Application, newId, CancellationToken.None));

        var oldRecord = Assert.Single(_store.Snapshot(), r => r.Id == old.Id);
        var newRecord = Assert.Single(_store.Snapshot(), r => r.Id == newId);
        Assert.Equal((DataKeyState.Retired, 1), (oldRecord.State, oldRecord.Version));
        Assert.Equal(_time.GetUtcNow(), oldRecord.RetiredAt);
        Assert.NotNull(oldRecord.WrappedKey);
        Assert.Equal((DataKeyState.Active, 2), (newRecord.State, newRecord.Version));

        var cold = Ring();
        Assert.Equal(newId, cold.GetEncryptionKey(KeyScopes.Application).Id);
        Assert.Equal("Jane Doe", Open(cold, stored));
    }

    // ---- Crypto-shredding ----

    [Fact]
    public async Task DestroyScopeAsync_OnePatient_ItsKeyIsGoneForGoodAndOtherScopesAreUnaffected()
    {
        var ring = Ring();
        var first = ring.GetEncryptionKey(KeyScopes.Patient("1"));
        var second = ring.GetEncryptionKey(KeyScopes.Patient("2"));
        var app = ring.GetEncryptionKey(KeyScopes.Application);
        var secondValue = FieldCipher.Encrypt(second, Text, "Jane Doe", Binding);
        var appValue = FieldCipher.Encrypt(app, Text, "Clinic", Binding);

        var destroyed = await ring.DestroyScopeAsync(KeyScopes.Patient("1"), CancellationToken.None);

        Assert.Equal((1, 1), (destroyed.KeysFound, destroyed.KeysDestroyed));
        Assert.Equal([first.Id], destroyed.KeyIds);
        var ex = Assert.Throws<DataKeyUnavailableException>(() => ring.GetDecryptionKey(first.Id));
        Assert.Equal(FieldDecryptionFailure.KeyDestroyed, ex.Failure);
        Assert.Equal(first.Id, ex.KeyId);
        Assert.Contains(first.Id.ToString(), ex.Message, StringComparison.Ordinal);
        var asyncEx = await Assert.ThrowsAsync<DataKeyUnavailableException>(async () => await ring.GetDecryptionKeyAsync(first.Id, CancellationToken.None));
        Assert.Equal(FieldDecryptionFailure.KeyDestroyed, asyncEx.Failure);
        Assert.Equal("Jane Doe", Open(ring, secondValue));
        Assert.Equal("Clinic", Open(ring, appValue));

        var record = Assert.Single(_store.Snapshot(), r => r.Id == first.Id);
        Assert.Equal(DataKeyState.Destroyed, record.State);
        Assert.Null(record.WrappedKey);
        Assert.Equal(_time.GetUtcNow(), record.DestroyedAt);

        // Another instance, cold: the same answer, without asking the KEK about a key that no longer exists.
        var cold = Ring();
        var unwraps = _kek.Unwraps;
        Assert.Equal(FieldDecryptionFailure.KeyDestroyed, Assert.Throws<DataKeyUnavailableException>(() => cold.GetDecryptionKey(first.Id)).Failure);
        Assert.Equal(unwraps, _kek.Unwraps);
        Assert.Equal("Jane Doe", Open(cold, secondValue));

        // The scope stays shredded: a new value is refused (never encrypted under the destroyed key, nor under a new one),
        // here and on the cold instance.
        Assert.Equal(KeyScopes.Patient("1"), Assert.Throws<ShreddedScopeException>(() => ring.GetEncryptionKey(KeyScopes.Patient("1"))).Scope);
        await Assert.ThrowsAsync<ShreddedScopeException>(async () => await cold.GetEncryptionKeyAsync(KeyScopes.Patient("1"), CancellationToken.None));
        await Assert.ThrowsAsync<ShreddedScopeException>(() => cold.RollDataKeyAsync(KeyScopes.Patient("1"), CancellationToken.None));
        Assert.DoesNotContain(_store.Snapshot(), r => r.Scope == KeyScopes.Patient("1") && r.State != DataKeyState.Destroyed);
    }

    [Fact]
    public async Task GetEncryptionKey_WarmInstanceAfterAShredElsewhere_RefusedOnceTheRecheckIntervalPassedAndNotBefore()
    {
        var warm = Ring();
        var key = warm.GetEncryptionKey(KeyScopes.Patient("1"));
        await Ring().DestroyScopeAsync(KeyScopes.Patient("1"), CancellationToken.None);
        var finds = _store.Finds;

        // Within the interval the warm instance answers from memory (no key-store read per write): the documented bound.
        _time.Advance(Settings.KeyStateRecheckInterval - TimeSpan.FromTicks(1));
        Assert.Equal(key.Id, warm.GetEncryptionKey(KeyScopes.Patient("1")).Id);
        Assert.Equal(finds, _store.Finds);

        _time.Advance(TimeSpan.FromTicks(1));
        var refused = Assert.Throws<ShreddedScopeException>(() => warm.GetEncryptionKey(KeyScopes.Patient("1")));
        Assert.Equal(KeyScopes.Patient("1"), refused.Scope);
        await Assert.ThrowsAsync<ShreddedScopeException>(async () => await warm.GetEncryptionKeyAsync(KeyScopes.Patient("1"), CancellationToken.None));
        Assert.True(Settings.KeyStateRecheckInterval < Settings.CacheLifetime);
    }

    [Fact]
    public void GetEncryptionKey_KeyStillActive_ReadsItsStateOncePerRecheckInterval()
    {
        var ring = Ring();
        ring.GetEncryptionKey(KeyScopes.Application);
        var finds = _store.Finds;

        for (var interval = 1; interval <= 3; interval++)
        {
            _time.Advance(Settings.KeyStateRecheckInterval);
            for (var i = 0; i < 100; i++)
            {
                ring.GetEncryptionKey(KeyScopes.Application);
            }

            Assert.Equal(finds + interval, _store.Finds);
        }
    }

    [Fact]
    public async Task DestroyScopeAsync_AfterARoll_DestroysEveryVersionOfTheScope()
    {
        var ring = Ring();
        var v1 = ring.GetEncryptionKey(KeyScopes.Patient("1")).Id;
        var v2 = await ring.RollDataKeyAsync(KeyScopes.Patient("1"), CancellationToken.None);

        Assert.Equal(2, (await ring.DestroyScopeAsync(KeyScopes.Patient("1"), CancellationToken.None)).KeysDestroyed);

        Assert.Equal(FieldDecryptionFailure.KeyDestroyed, Assert.Throws<DataKeyUnavailableException>(() => ring.GetDecryptionKey(v1)).Failure);
        Assert.Equal(FieldDecryptionFailure.KeyDestroyed, Assert.Throws<DataKeyUnavailableException>(() => ring.GetDecryptionKey(v2)).Failure);
        Assert.Equal(0, (await ring.DestroyScopeAsync(KeyScopes.Patient("1"), CancellationToken.None)).KeysDestroyed); // nothing left to destroy
    }

    [Fact]
    public void GetDecryptionKey_UnknownId_ThrowsUnknownKey()
    {
        var ring = Ring();
        var id = Guid.NewGuid();

        var ex = Assert.Throws<DataKeyUnavailableException>(() => ring.GetDecryptionKey(id));

        Assert.Equal(FieldDecryptionFailure.UnknownKey, ex.Failure);
        Assert.Equal(id, ex.KeyId);
        Assert.Equal(0, _kek.Calls);
    }

    // ---- KEK rotation ----

    [Fact]
    public async Task RotateKeyEncryptionKeyAsync_ToASecondKek_OnlyTheNewKekIsNeededToReadOldDataKeys()
    {
        var newKek = new CountingKeyEncryptionKey("kek-2027");
        var ring = Ring();
        var key = ring.GetEncryptionKey(KeyScopes.Patient("1"));
        var stored = FieldCipher.Encrypt(key, Text, "Jane Doe", Binding);
        var dataRecordBefore = Assert.Single(_store.Snapshot(), r => r.Id == key.Id);

        var rewrapped = await ring.RotateKeyEncryptionKeyAsync(newKek, KeyWrapAlgorithm.AesKeyWrap256, CancellationToken.None);

        Assert.Equal(1, rewrapped);
        Assert.Same(newKek, ring.KeyEncryptionKey);
        Assert.Equal(1, newKek.Wraps);
        var intermediate = Assert.Single(_store.Snapshot(), r => r.Kind == DataKeyKind.Intermediate);
        Assert.Equal(newKek.KeyId, intermediate.WrappedBy);
        var dataRecordAfter = Assert.Single(_store.Snapshot(), r => r.Id == key.Id);
        Assert.Equal(dataRecordBefore.WrappedKey, dataRecordAfter.WrappedKey); // no data key was rewritten

        var oldKekCalls = _kek.Calls;
        var onlyNew = Ring(newKek);
        Assert.Equal("Jane Doe", Open(onlyNew, stored));
        Assert.Equal(oldKekCalls, _kek.Calls);
        Assert.Equal(1, newKek.Unwraps);

        var onlyOld = Ring(_kek);
        var ex = Assert.Throws<KeyServiceUnavailableException>(() => onlyOld.GetDecryptionKey(key.Id));
        Assert.Equal(newKek.KeyId, ex.KeyId);
        Assert.Contains("'kek-2027'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RotateKeyEncryptionKeyAsync_AfterAnIntermediateRollOnAColdRingWithoutResolver_RewrapsTheWholeChain()
    {
        var newKek = new CountingKeyEncryptionKey("kek-2027");
        var ring = Ring();
        var before = ring.GetEncryptionKey(KeyScopes.Patient("1"));
        await ring.RollIntermediateKeyAsync(CancellationToken.None);
        var after = ring.GetEncryptionKey(KeyScopes.Patient("2"));

        Assert.Equal(2, await Ring().RotateKeyEncryptionKeyAsync(newKek, KeyWrapAlgorithm.AesKeyWrap256, CancellationToken.None));

        var onlyNew = Ring(newKek);
        Assert.Equal(before.Id, onlyNew.GetDecryptionKey(before.Id).Id);
        Assert.Equal(after.Id, onlyNew.GetDecryptionKey(after.Id).Id);
        Assert.All(_store.Snapshot().Where(r => r.Kind == DataKeyKind.Intermediate), r => Assert.Equal(newKek.KeyId, r.WrappedBy));
    }

    [Fact]
    public async Task GetDecryptionKey_IntermediateStillWrappedByTheOldKek_IsReadThroughTheResolver()
    {
        var newKek = new CountingKeyEncryptionKey("kek-2027");
        var key = Ring().GetEncryptionKey(KeyScopes.Application);
        var stored = FieldCipher.Encrypt(key, Text, "Jane Doe", Binding);

        // Configured with the new KEK before the rotation ran: the old one must stay resolvable.
        var ring = Ring(newKek, resolver: new DictionaryResolver(_kek, newKek));

        Assert.Equal("Jane Doe", Open(ring, stored));
        Assert.Equal(1, _kek.Unwraps);
        await ring.RotateKeyEncryptionKeyAsync(newKek, KeyWrapAlgorithm.AesKeyWrap256, CancellationToken.None);
        Assert.Equal("Jane Doe", Open(Ring(newKek), stored));
    }

    // ---- A KEK that fails ----

    [Fact]
    public async Task GetEncryptionKey_KekThrows_KeyServiceUnavailableNamingTheKekAndNothingStored()
    {
        _kek.Fail = true;
        var ring = Ring();

        var ex = Assert.Throws<KeyServiceUnavailableException>(() => ring.GetEncryptionKey(KeyScopes.Application));
        var asyncEx = await Assert.ThrowsAsync<KeyServiceUnavailableException>(async () => await ring.GetEncryptionKeyAsync(KeyScopes.Patient("1"), CancellationToken.None));

        foreach (var error in new[] { ex, asyncEx })
        {
            Assert.Equal("kek-2026", error.KeyId);
            Assert.Contains("'kek-2026'", error.Message, StringComparison.Ordinal);
            Assert.IsType<InvalidOperationException>(error.InnerException);
        }

        Assert.Empty(_store.Snapshot());
        Assert.Equal(0, _store.Inserts);

        // The failure was not cached: once the key service is back, the same ring works.
        _kek.Fail = false;
        Assert.NotEqual(Guid.Empty, ring.GetEncryptionKey(KeyScopes.Application).Id);
        Assert.Equal(2, _store.Inserts);
    }

    [Fact]
    public void GetDecryptionKeyAndGetEncryptionKey_KekThrowsOnUnwrap_KeyServiceUnavailableAndNoNewKeys()
    {
        var key = Ring().GetEncryptionKey(KeyScopes.Application);
        var inserts = _store.Inserts;
        _kek.Fail = true;
        var cold = Ring();

        var read = Assert.Throws<KeyServiceUnavailableException>(() => cold.GetDecryptionKey(key.Id));
        var write = Assert.Throws<KeyServiceUnavailableException>(() => cold.GetEncryptionKey(KeyScopes.Application));
        var newScope = Assert.Throws<KeyServiceUnavailableException>(() => cold.GetEncryptionKey(KeyScopes.Patient("new")));

        Assert.All(new[] { read, write, newScope }, e => Assert.Equal("kek-2026", e.KeyId));
        Assert.Equal(inserts, _store.Inserts);
        _kek.Fail = false;
        Assert.Equal(key.Id, cold.GetDecryptionKey(key.Id).Id);
    }

    // ---- A key table that was altered ----

    public static TheoryData<string> DataKeyTamperings => ["nonce", "ciphertext", "tag", "scope", "kind", "wrapped by", "length", "swapped"];

    [Theory]
    [MemberData(nameof(DataKeyTamperings))]
    public void GetDecryptionKey_TamperedWrappedDataKey_ThrowsCryptographicException(string tampering)
    {
        var ring = Ring();
        var key = ring.GetEncryptionKey(KeyScopes.Patient("1"));
        var other = ring.GetEncryptionKey(KeyScopes.Patient("2"));
        var otherWrapped = Assert.Single(_store.Snapshot(), r => r.Id == other.Id).WrappedKey!;
        _store.Tamper(key.Id, record =>
        {
            switch (tampering)
            {
                case "nonce": record.WrappedKey![0] ^= 0x01; break;
                case "ciphertext": record.WrappedKey![20] ^= 0x80; break;
                case "tag": record.WrappedKey![^1] ^= 0x01; break;
                case "scope": record.Scope = KeyScopes.Patient("2"); break; // moved to another patient
                case "kind": record.Kind = DataKeyKind.Index; break;
                case "wrapped by": record.WrappedBy = "not a key id"; break;
                case "length": record.WrappedKey = record.WrappedKey![..^1]; break;
                case "swapped": record.WrappedKey = otherWrapped; break; // another entry's wrapped key
            }
        });
        var cold = Ring();

        var ex = Assert.ThrowsAny<CryptographicException>(() => cold.GetDecryptionKey(key.Id));

        Assert.Contains(key.Id.ToString(), ex.Message, StringComparison.Ordinal);
        Assert.Equal(other.Id, cold.GetDecryptionKey(other.Id).Id);
    }

    /// <summary>
    /// BUG (src/Hipaa.Abstractions/Encryption/KeyRing.cs, CallKek/CallKekAsync): every exception from the KEK, including
    /// the CryptographicException a provider throws for a wrapped key that fails authentication, is turned into
    /// KeyServiceUnavailableException ("check that the key service is reachable"), which docs/key-providers.md reserves
    /// for an unreachable service: an altered key table is reported as an outage that retrying will fix.
    /// </summary>
    [Fact]
    public void GetDecryptionKey_TamperedWrappedIntermediateKey_ThrowsCryptographicExceptionNotKeyServiceUnavailable()
    {
        var key = Ring().GetEncryptionKey(KeyScopes.Application);
        var intermediate = Assert.Single(_store.Snapshot(), r => r.Kind == DataKeyKind.Intermediate);
        _store.Tamper(intermediate.Id, record => record.WrappedKey![^1] ^= 0x01);

        var ex = Record.Exception(() => Ring().GetDecryptionKey(key.Id));

        Assert.IsAssignableFrom<CryptographicException>(ex);
    }

    // ---- A forged intermediate key (asymmetric KEK: wrapping needs only the public key) ----

    [Fact]
    public void GetEncryptionKey_ForgedRootOneVersionHigherWrappedWithThePublicKey_ThrowsKeyAuthenticationAndWrapsNothingUnderIt()
    {
        using var rsa = new Hipaa.Testing.RsaKeyEncryptionKey("rsa-kek");
        var settings = Settings with { KeyWrapAlgorithm = KeyWrapAlgorithm.RsaOaep256 };
        Ring(rsa, settings).GetEncryptionKey(KeyScopes.Patient("1"));
        var genuine = Assert.Single(_store.Snapshot(), r => r.Kind == DataKeyKind.Intermediate);
        var forged = new DataKeyRecord
        {
            Id = Guid.NewGuid(),
            Kind = DataKeyKind.Intermediate,
            Scope = KeyScopes.Root,
            Version = genuine.Version + 1,
            State = DataKeyState.Active,
            WrappedKey = Hipaa.Testing.RsaKeyEncryptionKey.WrapWithPublicKey(rsa.PublicKey, RandomNumberGenerator.GetBytes(32)),
            WrappedBy = rsa.KeyId,
            WrapAlgorithm = KeyWrapAlgorithm.RsaOaep256,
        };
        Assert.True(_store.TryInsert(forged));

        var ex = Record.Exception(() => Ring(rsa, settings).GetEncryptionKey(KeyScopes.Patient("2")));

        Assert.DoesNotContain(_store.Snapshot(), r => r.WrappedBy == forged.Id.ToString());
        var refused = Assert.IsType<KeyAuthenticationException>(ex);
        Assert.Equal(forged.Id.ToString(), refused.KeyId);
    }

    [Fact]
    public async Task RollIntermediateKeyAsync_NextVersionIsLinkedAndUsedByAColdRing()
    {
        var ring = Ring();
        var before = ring.GetEncryptionKey(KeyScopes.Patient("1"));

        var rolled = await ring.RollIntermediateKeyAsync(CancellationToken.None);

        var intermediates = _store.Snapshot().Where(r => r.Kind == DataKeyKind.Intermediate).OrderBy(r => r.Version).ToList();
        Assert.Equal((DataKeyState.Retired, (byte[]?)null), (intermediates[0].State, intermediates[0].Authenticator));
        Assert.Equal((rolled, DataKeyState.Active, RootKeyAuthenticator.Size), (intermediates[1].Id, intermediates[1].State, intermediates[1].Authenticator!.Length));
        var cold = Ring();
        var after = cold.GetEncryptionKey(KeyScopes.Patient("2"));
        Assert.Equal(rolled.ToString(), Assert.Single(_store.Snapshot(), r => r.Id == after.Id).WrappedBy);
        Assert.Equal(before.Id, cold.GetDecryptionKey(before.Id).Id); // still unwrapped by the retired version
    }

    public static TheoryData<string> LinkTamperings => ["authenticator", "version", "no authenticator", "predecessor gone"];

    [Theory]
    [MemberData(nameof(LinkTamperings))]
    public async Task GetDecryptionKey_LinkedIntermediateKeyAltered_ThrowsKeyAuthentication(string tampering)
    {
        var ring = Ring();
        ring.GetEncryptionKey(KeyScopes.Application);
        await ring.RollIntermediateKeyAsync(CancellationToken.None);
        var key = ring.GetEncryptionKey(KeyScopes.Patient("1"));
        var intermediates = _store.Snapshot().Where(r => r.Kind == DataKeyKind.Intermediate).OrderBy(r => r.Version).ToList();
        var linked = intermediates[1];
        switch (tampering)
        {
            case "authenticator": _store.Tamper(linked.Id, r => r.Authenticator![0] ^= 0x01); break;
            case "version": _store.Tamper(linked.Id, r => r.Version = 3); break; // claims to follow a version that is not there
            case "no authenticator": _store.Tamper(linked.Id, r => r.Authenticator = null); break;
            case "predecessor gone": _store.Tamper(intermediates[0].Id, r => r.Version = 7); break;
        }

        var ex = Assert.Throws<KeyAuthenticationException>(() => Ring().GetDecryptionKey(key.Id));

        Assert.Equal(linked.Id.ToString(), ex.KeyId);
    }

    [Fact]
    public async Task GetEncryptionKey_PinnedFirstIntermediateKeyReplaced_ThrowsKeyAuthentication()
    {
        Ring().GetEncryptionKey(KeyScopes.Application);
        var pin = await Ring().GetRootKeyPinAsync(CancellationToken.None);
        var pinned = Settings with { RootKeyPin = pin };
        Assert.NotEqual(Guid.Empty, Ring(settings: pinned).GetEncryptionKey(KeyScopes.Patient("1")).Id);
        Assert.True(RootKeyAuthenticator.TryParsePin(pin, out var pinnedId));
        var genuine = Assert.Single(_store.Snapshot(), r => r.Kind == DataKeyKind.Intermediate);
        Assert.Equal(genuine.Id, pinnedId);

        // Same id, another key wrapped by the same KEK (as anyone could with a public-wrap KEK).
        _store.Tamper(genuine.Id, r => r.WrappedKey = _kek.WrapKey(r.WrapAlgorithm, RandomNumberGenerator.GetBytes(32)));

        var ex = Assert.Throws<KeyAuthenticationException>(() => Ring(settings: pinned).GetEncryptionKey(KeyScopes.Patient("2")));
        Assert.Equal(genuine.Id.ToString(), ex.KeyId);
        Assert.Throws<KeyAuthenticationException>(() => new KeyRing(new InMemoryDataKeyStore(), _kek, null, pinned, _time, NullLogger.Instance).GetEncryptionKey(KeyScopes.Application));
    }

    // ---- NIST SP 800-38D invocation limit ----

    [Fact]
    public void GetEncryptionKey_PastTheInvocationLimit_RollsToNewKeysAndNoKeyIsUsedMoreThanTheLimit()
    {
        var settings = Settings with { MaxInvocationsPerKey = 10, InvocationReservationBlock = 4 };
        var ring = Ring(settings: settings);
        var uses = new Dictionary<Guid, int>();

        for (var i = 0; i < 25; i++)
        {
            var key = ring.GetEncryptionKey(KeyScopes.Application);
            var stored = FieldCipher.Encrypt(key, Text, $"value {i}", Binding);
            var id = FieldCipher.ReadKeyId(stored, "Patient", "Name");
            uses[id] = uses.GetValueOrDefault(id) + 1;
        }

        Assert.True(uses.Count >= 3, $"{uses.Count} keys for 25 encryptions under a limit of 10");
        Assert.All(uses.Values, count => Assert.InRange(count, 1, 10));
        AssertReservationsCover(uses, limit: 10, block: 4);
        var data = _store.Snapshot().Where(r => r.Kind == DataKeyKind.Data).OrderBy(r => r.Version).ToList();
        Assert.Equal(uses.Count, data.Count);
        Assert.All(data[..^1], r => Assert.Equal(DataKeyState.Retired, r.State));
        Assert.Equal(DataKeyState.Active, data[^1].State);
        Assert.Equal(Enumerable.Range(1, data.Count), data.Select(r => r.Version));
    }

    /// <summary>
    /// 16 threads against a limit of 10 invocations per key: each key serves about three reservations, so most callers
    /// find the key they fetched exhausted and retire it, often many times in a row. Every call still gets a key (none
    /// fails as if the key store were down), and no key is used more than the limit.
    /// </summary>
    [Fact]
    public async Task GetEncryptionKey_ManyThreadsPastTheInvocationLimit_NoKeyIsUsedMoreThanTheLimit()
    {
        const int Threads = 16;
        const int PerThread = 500;
        var settings = Settings with { MaxInvocationsPerKey = 10, InvocationReservationBlock = 4 };
        var ring = Ring(settings: settings);
        var used = new ConcurrentBag<Guid>();
        using var start = new Barrier(Threads);

        await Task.WhenAll(Enumerable.Range(0, Threads).Select(_ => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                for (var i = 0; i < PerThread; i++)
                {
                    used.Add(FieldCipher.ReadKeyId(EncryptRetryingEvictions(ring, KeyScopes.Application, "x"), "Patient", "Name"));
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)));

        var uses = used.GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(Threads * PerThread, used.Count);
        Assert.All(uses.Values, count => Assert.InRange(count, 1, 10));
        AssertReservationsCover(uses, limit: 10, block: 4);
    }

    [Fact]
    public void GetEncryptionKey_TwoInstancesSharingTheKeyTable_TogetherStayWithinTheLimit()
    {
        var settings = Settings with { MaxInvocationsPerKey = 10, InvocationReservationBlock = 4 };
        var first = Ring(settings: settings);
        var second = Ring(settings: settings);
        var uses = new Dictionary<Guid, int>();

        for (var i = 0; i < 40; i++)
        {
            var key = (i % 3 == 0 ? second : first).GetEncryptionKey(KeyScopes.Application);
            uses[key.Id] = uses.GetValueOrDefault(key.Id) + 1;
        }

        Assert.All(uses.Values, count => Assert.InRange(count, 1, 10));
        AssertReservationsCover(uses, limit: 10, block: 4);
    }

    // ---- Zeroing (issue 9, finding 7) ----

    [Fact]
    public void CachedKeys_PastTheirLifetime_AreZeroedByTheSweepWithoutAnyFurtherCall()
    {
        var writer = Ring();
        var dataKeyId = writer.GetEncryptionKey(KeyScopes.Patient("17")).Id;
        var ring = Ring();
        DataKey[] keys = [ring.GetEncryptionKey(KeyScopes.Patient("17")), ring.GetDecryptionKey(dataKeyId), ring.GetIndexKey("Patients", "Mrn")];

        _time.Advance(Lifetime - TimeSpan.FromTicks(1)); // the sweeps so far found nothing expired
        Assert.All(keys, k => Assert.False(DataKeyTests.IsAllZero(k.StorageForZeroingTests)));

        _time.Advance(Settings.ExpirySweepInterval);

        Assert.All(keys, k =>
        {
            Assert.True(k.IsEvicted);
            Assert.True(DataKeyTests.IsAllZero(k.StorageForZeroingTests));
        });
        Assert.Equal(dataKeyId, ring.GetDecryptionKey(dataKeyId).Id); // unwrapped again on the next use
    }

    [Fact]
    public void GetEncryptionKeyAndGetDecryptionKey_OfTheSameKey_HoldOneCopyOfIt()
    {
        var ring = Ring();
        var encryption = ring.GetEncryptionKey(KeyScopes.Patient("17"));

        Assert.Same(encryption, ring.GetDecryptionKey(encryption.Id));
        Assert.Same(encryption, ring.GetEncryptionKey(KeyScopes.Patient("17")));
    }

    [Fact]
    public void GetEncryptionKey_AfterTheCacheByIdZeroedTheKeyItRefersTo_ReturnsALiveCopyOfTheSameKey()
    {
        var dataKeyId = Ring().GetEncryptionKey(KeyScopes.Patient("17")).Id;
        var ring = Ring();
        var read = ring.GetDecryptionKey(dataKeyId);               // cached by id now, expires one lifetime from now
        _time.Advance(Lifetime / 2);
        var write = ring.GetEncryptionKey(KeyScopes.Patient("17")); // the scope refers to that copy, for a lifetime from now
        Assert.Same(read, write);

        _time.Advance((Lifetime / 2) + Settings.ExpirySweepInterval); // the copy's lifetime is over: swept and zeroed
        Assert.True(read.IsEvicted);
        Assert.True(DataKeyTests.IsAllZero(read.StorageForZeroingTests));

        var again = ring.GetEncryptionKey(KeyScopes.Patient("17"));   // the stale reference is a miss, not a zeroed key
        Assert.Equal(dataKeyId, again.Id);
        Assert.False(again.IsEvicted);
        Assert.Same(again, ring.GetDecryptionKey(dataKeyId));
        Assert.Equal("still one key", Open(Ring(), FieldCipher.Encrypt(again, Text, "still one key", Binding)));
    }

    [Fact]
    public void Dispose_ZeroesEveryCachedKeyAndRefusesLaterUse()
    {
        var ring = Ring();
        var encryption = ring.GetEncryptionKey(KeyScopes.Patient("17"));
        var stored = FieldCipher.Encrypt(encryption, Text, "x", Binding);
        DataKey[] keys = [encryption, ring.GetDecryptionKey(encryption.Id), ring.GetIndexKey("Patients", "Mrn")];

        ring.Dispose();

        Assert.All(keys, k => Assert.True(DataKeyTests.IsAllZero(k.StorageForZeroingTests)));
        Assert.Throws<ObjectDisposedException>(() => ring.GetEncryptionKey(KeyScopes.Patient("17")));
        Assert.Throws<ObjectDisposedException>(() => ring.GetDecryptionKey(encryption.Id));
        Assert.Equal("x", Open(Ring(), stored)); // the keys are still in the key table, of course
    }

    [Fact]
    public void Encrypt_KeyEvictedByTheSweepWhileInUse_CompletesUnderTheRealKeyAndIsZeroedAfter()
    {
        var ring = Ring();
        var key = ring.GetEncryptionKey(KeyScopes.Patient("17"));
        bool? evictedDuringUse = null, zeroedDuringUse = null;
        key.WhileLeasedHookForTests = k =>
        {
            k.WhileLeasedHookForTests = null;
            _time.Advance(Lifetime + Settings.ExpirySweepInterval); // the sweep runs now, in the middle of the encryption
            (evictedDuringUse, zeroedDuringUse) = (k.IsEvicted, DataKeyTests.IsAllZero(k.StorageForZeroingTests));
        };

        var stored = FieldCipher.Encrypt(key, Text, "written while evicted", Binding);

        Assert.Equal((true, false), (evictedDuringUse, zeroedDuringUse));
        Assert.True(DataKeyTests.IsAllZero(key.StorageForZeroingTests));
        Assert.Equal("written while evicted", Open(Ring(), stored));
    }

    private KeyRing Ring(IKeyEncryptionKey? kek = null, KeyRingSettings? settings = null, IKeyEncryptionKeyResolver? resolver = null) =>
        new(_store, kek ?? _kek, resolver, settings ?? Settings, _time, NullLogger.Instance);

    private static async Task UseManyTimes(KeyRing ring, Guid dataKeyId)
    {
        for (var i = 0; i < 500; i++)
        {
            Assert.Equal(dataKeyId, ring.GetEncryptionKey(KeyScopes.Application).Id);
            Assert.Equal(dataKeyId, ring.GetDecryptionKey(dataKeyId).Id);
            Assert.Equal(dataKeyId, (await ring.GetEncryptionKeyAsync(KeyScopes.Application, CancellationToken.None)).Id);
            Assert.Equal(dataKeyId, (await ring.GetDecryptionKeyAsync(dataKeyId, CancellationToken.None)).Id);
        }
    }

    /// <summary>
    /// Encrypts as FieldEncryptionRuntime does: a key evicted (and so zeroed) by another thread between this thread's
    /// lookup and its use is refused, and looked up again.
    /// </summary>
    private static byte[] EncryptRetryingEvictions(KeyRing ring, string scope, string value)
    {
        while (true)
        {
            try
            {
                return FieldCipher.Encrypt(ring.GetEncryptionKey(scope), Text, value, Binding);
            }
            catch (DataKeyEvictedException)
            {
            }
        }
    }

    private static string Open(KeyRing ring, byte[] stored)
    {
        var key = ring.GetDecryptionKey(FieldCipher.ReadKeyId(stored, "Patient", "Name"));
        return (string)FieldCipher.Decrypt(key, Text, stored, Binding, "Patient", "Name");
    }

    private void AssertReservationsCover(Dictionary<Guid, int> uses, long limit, long block)
    {
        var reservations = _store.Reservations;
        Assert.NotEmpty(reservations);
        Assert.All(reservations, r => Assert.Equal(block, r.Count));
        foreach (var (id, count) in uses)
        {
            var reserved = reservations.Where(r => r.Id == id).Sum(r => r.Count);
            Assert.True(count <= reserved, $"key {id}: {count} encryptions, {reserved} reserved");
            Assert.True(reserved <= limit, $"key {id}: {reserved} reserved, limit {limit}");
        }
    }

    private sealed class DictionaryResolver(params IKeyEncryptionKey[] keys) : IKeyEncryptionKeyResolver
    {
        public IKeyEncryptionKey Resolve(string keyId, CancellationToken cancellationToken = default) =>
            keys.FirstOrDefault(k => k.KeyId == keyId) ?? throw new InvalidOperationException($"No key '{keyId}'.");

        public Task<IKeyEncryptionKey> ResolveAsync(string keyId, CancellationToken cancellationToken = default) =>
            Task.FromResult(Resolve(keyId, cancellationToken));
    }
}
