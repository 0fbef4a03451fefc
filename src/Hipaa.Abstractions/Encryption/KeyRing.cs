using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Hipaa.Encryption;

/// <summary>
/// The key hierarchy: KEK (in a KMS/HSM) → intermediate keys (wrapped by the KEK) → data and index keys (wrapped locally
/// by an intermediate key), all stored wrapped in the key table, unwrapped keys cached (bounded, time-limited,
/// single-flight). The KEK is called once per intermediate key per cache period, never per value or per patient.
/// </summary>
/// <remarks>
/// No intermediate key is used unless it is authenticated (<see cref="RootKeyAuthenticator"/>): version 1 by trust on
/// first use or the deployment's pin, every later version by a link only a holder of the previous version could make.
/// Data and index keys are authenticated by their intermediate key (AES-GCM with the entry's id, kind and scope as
/// associated data). So with an asymmetric KEK, whose wrapping anyone can do, a key row someone inserted is refused.
/// <para>
/// Unwrapped keys are zeroed when they leave the cache: at the latest <see cref="KeyRingSettings.ExpirySweepInterval"/>
/// after their lifetime ends (a <see cref="TimeProvider"/> timer sweeps the cache), when trimmed, shredded or cleared,
/// and all of them when the ring is disposed (with its service provider). A key in use when it is evicted is zeroed as
/// soon as that use ends; a use that starts after is refused (<see cref="DataKeyEvictedException"/>) and the caller looks
/// the key up again, so nothing is ever encrypted under a zeroed key (<see cref="DataKey"/>).
/// </para>
/// <para>
/// Each unwrapped key is held once, by the cache of keys by id, which alone evicts and zeroes it. The cache of each
/// scope's active key holds references to keys of that cache only (it never unwraps a key of its own), and a reference
/// to a key the cache by id has evicted counts as a miss there: a key used both to write and to read is one copy of the
/// material, with one owner.
/// </para>
/// </remarks>
internal sealed partial class KeyRing : IDisposable
{
    private static readonly byte[] KeyWrapLabel = "hipaa-key-v1"u8.ToArray();

    /// <summary>How many exhausted keys one request for an encryption key may retire before it reports the key store as failing.</summary>
    private const int MaxRollsPerCall = 1024;

    /// <summary>How many times a state change (roll, shred, re-wrap) re-reads a key that another writer changed first.</summary>
    private const int MaxStateChangeAttempts = 64;

    private readonly IDataKeyStore _store;
    private readonly IKeyEncryptionKeyResolver? _resolver;
    private readonly KeyRingSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SingleFlightCache<Guid, DataKey> _keysById;
    private readonly SingleFlightCache<(DataKeyKind Kind, string Scope), DataKey> _activeByScope;
    private readonly SingleFlightCache<Guid, DataKey>.Loader _loadById;
    private readonly SingleFlightCache<(DataKeyKind Kind, string Scope), DataKey>.Loader _loadActive;
    private readonly long _recheckTimestampTicks;
    private long FirstReservation => Math.Min(_settings.InvocationReservationBlock, _settings.MaxInvocationsPerKey);
    private readonly ITimer _expirySweep;
    private volatile IKeyEncryptionKey _kek;
    private int _unpinnedWarned;

    public KeyRing(IDataKeyStore store, IKeyEncryptionKey kek, IKeyEncryptionKeyResolver? resolver, KeyRingSettings settings, TimeProvider time, ILogger logger)
    {
        _store = store;
        _kek = kek;
        _resolver = resolver;
        _settings = settings;
        _time = time;
        _logger = logger;
        _keysById = new(settings.CacheCapacity, settings.CacheLifetime, time, static key => key.Dispose());
        _activeByScope = new(settings.CacheCapacity, settings.CacheLifetime, time); // references only: _keysById owns (and zeroes) every key
        _loadById = LoadByIdAsync;
        _loadActive = LoadOrCreateActiveAsync;
        _recheckTimestampTicks = (long)(settings.KeyStateRecheckInterval.TotalSeconds * time.TimestampFrequency);
        _expirySweep = KeyRingExpirySweep.Start(this, time, settings.ExpirySweepInterval);
    }

    /// <summary>Zeroes every cached key (those in use as soon as their use ends) and stops the expiry sweep; later uses throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        _expirySweep.Dispose();
        _keysById.Dispose();
        _activeByScope.Dispose();
    }

    /// <summary>Evicts (and so zeroes) every cached key whose lifetime is over; returns how many. Called by the expiry sweep.</summary>
    internal int EvictExpired()
    {
        _activeByScope.RemoveExpired(); // drops references; the keys are zeroed by their owner below
        return _keysById.RemoveExpired();
    }

    /// <summary>Gets the KEK that wraps new intermediate keys.</summary>
    public IKeyEncryptionKey KeyEncryptionKey => _kek;

    /// <summary>
    /// The key new values of <paramref name="scope"/> are encrypted with. Throws <see cref="ShreddedScopeException"/> when
    /// the scope was shredded — on this instance at once, on others within <see cref="KeyRingSettings.KeyStateRecheckInterval"/>.
    /// </summary>
    public DataKey GetEncryptionKey(string scope) =>
        _activeByScope.TryGetFresh((DataKeyKind.Data, scope), out var key) && !key.IsEvicted && !key.IsDestroyed && key.IsKnownActiveAt(_time.GetTimestamp()) && key.TryConsumeInvocation()
            ? key
            : GetEncryptionKeyAsync(scope, async: false, CancellationToken.None).GetAwaiter().GetResult();

    public ValueTask<DataKey> GetEncryptionKeyAsync(string scope, CancellationToken cancellationToken) =>
        GetEncryptionKeyAsync(scope, async: true, cancellationToken);

    /// <summary>The key named in a value's header. Throws <see cref="DataKeyUnavailableException"/> when unknown or destroyed.</summary>
    public DataKey GetDecryptionKey(Guid keyId) =>
        _keysById.TryGetFresh(keyId, out var key) && !key.IsDestroyed
            ? key
            : GetByIdAsync(keyId, async: false, CancellationToken.None).GetAwaiter().GetResult();

    public ValueTask<DataKey> GetDecryptionKeyAsync(Guid keyId, CancellationToken cancellationToken) => GetByIdAsync(keyId, async: true, cancellationToken);

    /// <summary>The HMAC key of a column's blind index (one per column, never rolled: rolling would break search).</summary>
    public DataKey GetIndexKey(string table, string column) =>
        _activeByScope.TryGetFresh((DataKeyKind.Index, KeyScopes.Index(table, column)), out var key) && !key.IsEvicted
            ? key
            : GetActiveAsync(DataKeyKind.Index, KeyScopes.Index(table, column), async: false, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc cref="GetIndexKey"/>
    public ValueTask<DataKey> GetIndexKeyAsync(string table, string column, CancellationToken cancellationToken) =>
        GetActiveAsync(DataKeyKind.Index, KeyScopes.Index(table, column), async: true, cancellationToken);

    /// <summary>
    /// Re-wraps every intermediate key under <paramref name="newKek"/>; no data and no data key is rewritten. Other
    /// instances must be able to resolve the new KEK (add it everywhere first, then rotate).
    /// </summary>
    public async Task<int> RotateKeyEncryptionKeyAsync(IKeyEncryptionKey newKek, string keyWrapAlgorithm, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(newKek);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyWrapAlgorithm);
        var intermediates = await _store.ListAsync(DataKeyKind.Intermediate, KeyScopes.Root, cancellationToken).ConfigureAwait(false);

        // Authenticate the whole chain first, under the KEKs that wrap it now (each link needs its predecessor, which is
        // cached from here on, so nothing below needs the new KEK to be resolvable yet).
        foreach (var record in intermediates.Where(r => r is { State: not DataKeyState.Destroyed, WrappedKey: not null }))
        {
            await GetByIdAsync(record.Id, async: true, cancellationToken).ConfigureAwait(false);
        }

        var rewrapped = 0;
        foreach (var listed in intermediates)
        {
            var record = listed;
            for (var attempt = 0; record is { State: not DataKeyState.Destroyed, WrappedKey: not null }; attempt++)
            {
                if (attempt == MaxStateChangeAttempts)
                {
                    throw new KeyServiceUnavailableException($"Intermediate key {record.Id} could not be re-wrapped: other writers kept changing it. Retry the rotation.");
                }

                var material = await UnwrapWithKekAsync(record, async: true, cancellationToken).ConfigureAwait(false);
                try
                {
                    // A forged intermediate key is refused, not re-wrapped into respectability.
                    await VerifyRootAsync(record, material, async: true, cancellationToken).ConfigureAwait(false);
                    record.WrappedKey = await CallKekAsync(newKek, k => k.WrapKeyAsync(keyWrapAlgorithm, material, cancellationToken), "wrap", cancellationToken).ConfigureAwait(false);
                    record.WrappedBy = newKek.KeyId;
                    record.WrapAlgorithm = keyWrapAlgorithm;
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(material);
                }

                if (await _store.TryUpdateAsync(record, cancellationToken).ConfigureAwait(false))
                {
                    rewrapped++;
                    break;
                }

                // Another writer changed the key since it was read: re-wrap what is stored now.
                record = await _store.FindAsync(record.Id, cancellationToken).ConfigureAwait(false);
            }
        }

        _kek = newKek;
        LogKekRotated(_logger, newKek.KeyId, rewrapped);
        return rewrapped;
    }

    /// <summary>
    /// Retires the scope's active data key and makes a new one: new writes use it, old values still decrypt. A shredded
    /// scope stays shredded: rolling it throws <see cref="ShreddedScopeException"/>, also when the shred wins a race with
    /// this roll.
    /// </summary>
    public async Task<Guid> RollDataKeyAsync(string scope, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (attempt == MaxStateChangeAttempts)
            {
                throw new KeyServiceUnavailableException($"The data key of scope '{scope}' could not be rolled: other writers kept changing it. Retry.");
            }

            var latest = await _store.FindLatestAsync(DataKeyKind.Data, scope, cancellationToken).ConfigureAwait(false);
            if (latest is { State: DataKeyState.Destroyed })
            {
                throw Shredded(scope);
            }

            if (latest is not { State: DataKeyState.Active })
            {
                break; // no key yet, or retired already: the next use makes the next version
            }

            latest.State = DataKeyState.Retired;
            latest.RetiredAt = _time.GetUtcNow();
            if (await _store.TryUpdateAsync(latest, cancellationToken).ConfigureAwait(false))
            {
                break;
            }

            // Another writer (a shred, another roll) changed the key since it was read: decide again on what is stored now.
        }

        _activeByScope.Remove((DataKeyKind.Data, scope));
        var key = await GetActiveAsync(DataKeyKind.Data, scope, async: true, cancellationToken).ConfigureAwait(false);
        LogDataKeyRolled(_logger, scope, key.Id);
        return key.Id;
    }

    /// <summary>
    /// Crypto-shreds a scope: erases the wrapped form of every data key of the scope, and closes the scope to new values
    /// (a destroyed entry above every version, so a writer that read an older state cannot add a key). Values the keys
    /// encrypted can never be decrypted again; other instances stop decrypting them within
    /// <see cref="KeyRingSettings.CacheLifetime"/> and stop encrypting within <see cref="KeyRingSettings.KeyStateRecheckInterval"/>.
    /// Every change is a compare-and-set: a writer racing the shred either loses or is seen and destroyed in turn.
    /// </summary>
    public async Task<ScopeShredResult> DestroyScopeAsync(string scope, CancellationToken cancellationToken)
    {
        var destroyed = 0;
        IReadOnlyList<DataKeyRecord> records;
        for (var attempt = 0; ; attempt++)
        {
            if (attempt == MaxStateChangeAttempts)
            {
                throw new KeyServiceUnavailableException($"Scope '{scope}' could not be shredded completely: other writers kept adding or changing its keys. Retry; the keys destroyed so far stay destroyed.");
            }

            records = await _store.ListAsync(DataKeyKind.Data, scope, cancellationToken).ConfigureAwait(false);
            if (records.Count == 0)
            {
                break;
            }

            var now = _time.GetUtcNow();
            var lostARace = false;
            foreach (var record in records.Where(r => r.State != DataKeyState.Destroyed))
            {
                record.State = DataKeyState.Destroyed;
                record.WrappedKey = null;
                record.DestroyedAt = now;
                if (await _store.TryUpdateAsync(record, cancellationToken).ConfigureAwait(false))
                {
                    destroyed++;
                    _keysById.Remove(record.Id);
                }
                else
                {
                    lostARace = true;
                }
            }

            if (lostARace)
            {
                continue; // another writer changed a key meanwhile: list again, destroy what it left
            }

            if (destroyed == 0 || await _store.TryInsertAsync(Tombstone(scope, records.Max(r => r.Version) + 1, now), cancellationToken).ConfigureAwait(false))
            {
                break;
            }

            // Another writer inserted the next version first: list again and destroy it too.
        }

        _activeByScope.Remove((DataKeyKind.Data, scope));
        foreach (var record in records)
        {
            _keysById.Remove(record.Id);
        }

        LogScopeDestroyed(_logger, scope, destroyed);
        return new ScopeShredResult(records.Count, destroyed, [.. records.Select(r => r.Id)]);
    }

    /// <summary>
    /// Retires the active intermediate key and makes the next version, linked to it (<see cref="RootKeyAuthenticator"/>):
    /// new data and index keys are wrapped by the new one; existing ones stay wrapped by theirs, which still unwraps them.
    /// </summary>
    public async Task<Guid> RollIntermediateKeyAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (attempt == MaxStateChangeAttempts)
            {
                throw new KeyServiceUnavailableException("The intermediate key could not be rolled: other writers kept changing it. Retry.");
            }

            var latest = await _store.FindLatestAsync(DataKeyKind.Intermediate, KeyScopes.Root, cancellationToken).ConfigureAwait(false);
            if (latest is not { State: DataKeyState.Active })
            {
                break;
            }

            // Never retire (and link from) a key that is not this deployment's.
            await GetByIdAsync(latest.Id, async: true, cancellationToken).ConfigureAwait(false);
            latest.State = DataKeyState.Retired;
            latest.RetiredAt = _time.GetUtcNow();
            if (await _store.TryUpdateAsync(latest, cancellationToken).ConfigureAwait(false))
            {
                break;
            }
        }

        _activeByScope.Remove((DataKeyKind.Intermediate, KeyScopes.Root));
        var key = await GetActiveAsync(DataKeyKind.Intermediate, KeyScopes.Root, async: true, cancellationToken).ConfigureAwait(false);
        LogIntermediateKeyRolled(_logger, key.Id);
        return key.Id;
    }

    /// <summary>The pin of this deployment's first intermediate key (creating it if the key table is empty), for <see cref="KeyRingSettings.RootKeyPin"/>.</summary>
    public async Task<string> GetRootKeyPinAsync(CancellationToken cancellationToken)
    {
        var genesis = await _store.FindVersionAsync(DataKeyKind.Intermediate, KeyScopes.Root, 1, cancellationToken).ConfigureAwait(false);
        if (genesis is null)
        {
            await GetActiveAsync(DataKeyKind.Intermediate, KeyScopes.Root, async: true, cancellationToken).ConfigureAwait(false);
            genesis = await _store.FindVersionAsync(DataKeyKind.Intermediate, KeyScopes.Root, 1, cancellationToken).ConfigureAwait(false)
                ?? throw new KeyServiceUnavailableException("The first intermediate key could not be read back from the key store. Retry.");
        }

        return await UseKeyAsync(
            () => GetByIdAsync(genesis.Id, async: true, cancellationToken),
            key =>
            {
                using var lease = key.LeaseMaterial();
                return RootKeyAuthenticator.Pin(key.Id, lease.Material);
            }).ConfigureAwait(false);
    }

    /// <summary>
    /// Loads or creates, in one batch, the encryption keys of every scope in <paramref name="scopes"/> not cached yet, so
    /// that a SaveChanges with many new patients costs the key store two round trips (one lookup of all the scopes, one
    /// insert of all the new keys, each with its first block of encryptions reserved) instead of three per patient — and
    /// one when the caller knows which scopes are new (<paramref name="newScopes"/>: a new patient's own row), whose first
    /// keys are inserted where their scope has none, without a lookup. Keys are only ever added here, never decided: a
    /// scope that is shredded is left to <see cref="GetEncryptionKey"/> (which throws), and when another writer created one
    /// of the keys first the whole insert changes nothing and every scope goes the ordinary way, key by key — which finds
    /// and uses the winner's key, as two instances always did. A scope wrongly said to be new costs one wasted key.
    /// </summary>
    public async ValueTask PrepareEncryptionKeysAsync(IReadOnlyCollection<string> scopes, IReadOnlySet<string>? newScopes, bool async, CancellationToken cancellationToken)
    {
        var missing = new List<string>();
        List<string>? fresh = null;
        foreach (var scope in scopes)
        {
            if (!_activeByScope.TryGetFresh((DataKeyKind.Data, scope), out _))
            {
                if (newScopes?.Contains(scope) == true)
                {
                    (fresh ??= []).Add(scope);
                }
                else
                {
                    missing.Add(scope);
                }
            }
        }

        if (fresh is not null)
        {
            missing.AddRange(await CreateFirstKeysAsync(fresh, async, cancellationToken).ConfigureAwait(false));
        }

        if (missing.Count < 2)
        {
            return; // one scope costs the ordinary way no more
        }

        var readAt = _time.GetTimestamp();
        IReadOnlyList<DataKeyRecord> found;
        try
        {
            found = async
                ? await _store.FindLatestManyAsync(DataKeyKind.Data, missing, cancellationToken).ConfigureAwait(false)
                : _store.FindLatestMany(DataKeyKind.Data, missing);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            throw new KeyServiceUnavailableException($"The key store could not be read for {missing.Count} scopes. Nothing was written; retry when the database is reachable.", exception);
        }

        var latest = found.ToDictionary(r => r.Scope, StringComparer.Ordinal);
        var created = new List<(DataKeyRecord Record, DataKey Key)>();
        var cached = false;
        try
        {
            foreach (var scope in missing)
            {
                latest.TryGetValue(scope, out var record);
                if (record is { State: DataKeyState.Active, WrappedKey: not null })
                {
                    var active = await OwnedAsync(record, async, cancellationToken).ConfigureAwait(false);
                    if (!active.IsDestroyed)
                    {
                        active.ConfirmActiveUntil(readAt + _recheckTimestampTicks);
                        _activeByScope.TryAdd((DataKeyKind.Data, scope), active);
                    }
                }
                else if (record is not { State: DataKeyState.Destroyed })
                {
                    created.Add(await CreateAsync(DataKeyKind.Data, scope, record, async, cancellationToken).ConfigureAwait(false));
                }
            }

            if (created.Count == 0)
            {
                return;
            }

            var records = created.ConvertAll(c => c.Record);
            bool inserted;
            try
            {
                inserted = async
                    ? await _store.TryInsertAllAsync(records, cancellationToken).ConfigureAwait(false)
                    : _store.TryInsertAll(records);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                throw new KeyServiceUnavailableException($"The key store could not be written for {records.Count} new scopes. Nothing was written; retry when the database is reachable.", exception);
            }

            if (!inserted)
            {
                return; // another writer won at least one of them: let each scope find the winner key by key
            }

            cached = true;
            foreach (var (record, key) in created)
            {
                LogKeyCreated(_logger, nameof(DataKeyKind.Data), record.Scope, record.Version, record.Id);
                key.AddInvocationBudget(record.InvocationsReserved);
                key.ConfirmActiveUntil(readAt + _recheckTimestampTicks);
                if (_keysById.TryAdd(record.Id, key))
                {
                    _activeByScope.TryAdd((DataKeyKind.Data, record.Scope), key);
                }
                else
                {
                    key.Dispose(); // already cached under its id (a reader was faster): the next use takes that one
                }
            }
        }
        finally
        {
            if (!cached)
            {
                // Keys made for an insert that did not happen are never used: zero them now rather than leave them to the GC.
                foreach (var (_, key) in created)
                {
                    key.Dispose();
                }
            }
        }
    }

    /// <summary>
    /// Creates the first key of each scope in <paramref name="scopes"/> and inserts those whose scope has no key yet (one
    /// round trip); caches what was inserted and returns the scopes that had keys already (or lost a race), for the
    /// ordinary way.
    /// </summary>
    private async ValueTask<IReadOnlyList<string>> CreateFirstKeysAsync(List<string> scopes, bool async, CancellationToken cancellationToken)
    {
        var readAt = _time.GetTimestamp();
        var created = new List<(DataKeyRecord Record, DataKey Key)>(scopes.Count);
        var cached = new HashSet<Guid>();
        try
        {
            foreach (var scope in scopes)
            {
                created.Add(await CreateAsync(DataKeyKind.Data, scope, latest: null, async, cancellationToken).ConfigureAwait(false));
            }

            var records = created.ConvertAll(c => c.Record);
            IReadOnlyList<DataKeyRecord> inserted;
            try
            {
                inserted = async
                    ? await _store.InsertFirstKeysAsync(records, cancellationToken).ConfigureAwait(false)
                    : _store.InsertFirstKeys(records);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                throw new KeyServiceUnavailableException($"The key store could not be written for {records.Count} new scopes. Nothing was written; retry when the database is reachable.", exception);
            }

            var insertedIds = inserted.Select(r => r.Id).ToHashSet();
            var notNew = new List<string>();
            foreach (var (record, key) in created)
            {
                if (!insertedIds.Contains(record.Id))
                {
                    notNew.Add(record.Scope);
                    continue;
                }

                LogKeyCreated(_logger, nameof(DataKeyKind.Data), record.Scope, record.Version, record.Id);
                key.AddInvocationBudget(record.InvocationsReserved);
                key.ConfirmActiveUntil(readAt + _recheckTimestampTicks);
                cached.Add(record.Id);
                if (_keysById.TryAdd(record.Id, key))
                {
                    _activeByScope.TryAdd((DataKeyKind.Data, record.Scope), key);
                }
                else
                {
                    key.Dispose(); // already cached under its id (a reader was faster): the next use takes that one
                }
            }

            return notNew;
        }
        finally
        {
            // Keys made for scopes that had keys already are never used: zero them now rather than leave them to the GC.
            foreach (var (record, key) in created)
            {
                if (!cached.Contains(record.Id))
                {
                    key.Dispose();
                }
            }
        }
    }

    /// <summary>
    /// The key of <paramref name="record"/> as the cache by id holds it, unwrapping <paramref name="record"/> itself when
    /// it is not cached (no second read of the key table): the one copy of the key, owned by that cache. A destroyed
    /// marker when the key was shredded since.
    /// </summary>
    private async ValueTask<DataKey> OwnedAsync(DataKeyRecord record, bool async, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var key = await _keysById.GetOrLoadAsync(record.Id, (_, a, c) => UnwrapAsync(record, a, c), async, cancellationToken).ConfigureAwait(false);
            if (!key.IsEvicted || attempt == DataKey.MaxUseAttempts)
            {
                return key;
            }

            // Evicted (and removed) just after the lookup: look it up again.
        }
    }

    /// <summary>Hands a key this ring created (and stored) to the cache by id; the cached one when a reader cached it first.</summary>
    private async ValueTask<DataKey> AdoptAsync(DataKeyRecord record, DataKey key, bool async, CancellationToken cancellationToken)
    {
        if (_keysById.TryAdd(record.Id, key))
        {
            return key;
        }

        key.Dispose();
        return await OwnedAsync(record, async, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="use"/> on the key <paramref name="lookUp"/> returns, looking it up again when the cache evicted
    /// (and zeroed) it in between (<see cref="DataKey.MaxUseAttempts"/> times at most).
    /// </summary>
    private static async ValueTask<T> UseKeyAsync<T>(Func<ValueTask<DataKey>> lookUp, Func<DataKey, T> use)
    {
        for (var attempt = 1; ; attempt++)
        {
            var key = await lookUp().ConfigureAwait(false);
            try
            {
                return use(key);
            }
            catch (DataKeyEvictedException) when (attempt < DataKey.MaxUseAttempts)
            {
                // Evicted between the lookup and the use: nothing was done under it; the next lookup loads it again.
            }
        }
    }

    /// <summary>Whether <paramref name="keyId"/> is the key new values of <paramref name="scope"/> are encrypted with.</summary>
    public async ValueTask<bool> IsActiveKeyAsync(string scope, Guid keyId, CancellationToken cancellationToken) =>
        (await GetActiveAsync(DataKeyKind.Data, scope, async: true, cancellationToken).ConfigureAwait(false)).Id == keyId;

    /// <summary>Drops every cached key (the next use reloads from the key table).</summary>
    public void ClearCache()
    {
        _keysById.Clear();
        _activeByScope.Clear();
    }

    /// <remarks>
    /// Each pass either returns a key with budget or retires an exhausted one. Under heavy contention near the limit other
    /// callers can use up each successor before this one reserves from it — which is progress for the application, not a
    /// fault — so a caller gives up only after <see cref="MaxRollsPerCall"/> passes (at 2^32 invocations per key this is
    /// never reached in practice; it stops a key store that never grants a reservation from creating keys forever).
    /// </remarks>
    private async ValueTask<DataKey> GetEncryptionKeyAsync(string scope, bool async, CancellationToken cancellationToken)
    {
        for (var rolls = 0; rolls < MaxRollsPerCall;)
        {
            var key = await GetActiveAsync(DataKeyKind.Data, scope, async, cancellationToken).ConfigureAwait(false);
            if (!await IsStillActiveAsync(key, async, cancellationToken).ConfigureAwait(false))
            {
                // Shredded or rolled elsewhere: the next pass loads what the key table holds now (and throws if shredded).
                _activeByScope.Remove((DataKeyKind.Data, scope), key);
                rolls++;
                continue;
            }

            if (key.TryConsumeInvocation())
            {
                return key;
            }

            var reservedAt = _time.GetTimestamp();
            if (_store.TryReserveInvocations(key.Id, _settings.InvocationReservationBlock, _settings.MaxInvocationsPerKey))
            {
                // The caller that reserved takes one encryption of its block at once, so it always makes progress. Only an
                // active key can be reserved, so the reservation also confirms the key's state.
                key.AddInvocationBudget(_settings.InvocationReservationBlock - 1);
                key.ConfirmActiveUntil(reservedAt + _recheckTimestampTicks);
                return key;
            }

            rolls++;

            // The key reached its NIST SP 800-38D invocation limit across all instances: retire it and make a new one.
            LogInvocationLimitReached(_logger, key.Id, scope);
            var latest = async
                ? await _store.FindLatestAsync(DataKeyKind.Data, scope, cancellationToken).ConfigureAwait(false)
                : _store.FindLatest(DataKeyKind.Data, scope);
            if (latest is { State: DataKeyState.Active } && latest.Id == key.Id)
            {
                latest.State = DataKeyState.Retired;
                latest.RetiredAt = _time.GetUtcNow();

                // Losing this compare-and-set means another writer changed the key first; either way the next pass re-reads.
                _ = async
                    ? await _store.TryUpdateAsync(latest, cancellationToken).ConfigureAwait(false)
                    : _store.TryUpdate(latest);
            }

            // Only evict the exhausted key: another thread may already have put its successor in the cache.
            _activeByScope.Remove((DataKeyKind.Data, scope), key);

            // Let the callers that hold budget finish, rather than racing them in lockstep for the successor.
            if (async)
            {
                await Task.Yield();
            }
            else
            {
                Thread.Yield();
            }
        }

        throw new KeyServiceUnavailableException($"No data key with encryption budget could be obtained for scope '{scope}'. Check the key store.");
    }

    /// <summary>
    /// Whether a cached encryption key is still the active one: answered from memory within the re-check interval of the
    /// last time the key store said so, otherwise by reading the key's state (one point lookup per key per interval).
    /// </summary>
    private async ValueTask<bool> IsStillActiveAsync(DataKey key, bool async, CancellationToken cancellationToken)
    {
        var readAt = _time.GetTimestamp();
        if (key.IsKnownActiveAt(readAt))
        {
            return true;
        }

        DataKeyRecord? record;
        try
        {
            record = async ? await _store.FindAsync(key.Id, cancellationToken).ConfigureAwait(false) : _store.Find(key.Id);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            throw new KeyServiceUnavailableException($"The key store could not be read for scope '{key.Scope}'. Nothing was written; retry when the database is reachable.", exception);
        }

        if (record is not { State: DataKeyState.Active, WrappedKey: not null })
        {
            return false;
        }

        key.ConfirmActiveUntil(readAt + _recheckTimestampTicks);
        return true;
    }

    private static ShreddedScopeException Shredded(string scope) =>
        new($"Scope '{scope}' was crypto-shredded: its data keys were destroyed and it accepts no new values. Nothing was written.") { Scope = scope };

    /// <summary>The entry that closes a shredded scope: destroyed from the start, it never held a key.</summary>
    private static DataKeyRecord Tombstone(string scope, int version, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        Kind = DataKeyKind.Data,
        Scope = scope,
        Version = version,
        State = DataKeyState.Destroyed,
        CreatedAt = now,
        DestroyedAt = now,
    };

    private async ValueTask<DataKey> GetActiveAsync(DataKeyKind kind, string scope, bool async, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var key = await _activeByScope.GetOrLoadAsync((kind, scope), _loadActive, async, cancellationToken).ConfigureAwait(false);
            if (!key.IsEvicted || attempt == DataKey.MaxUseAttempts)
            {
                return key; // an evicted key past the last attempt is refused by its use, which the caller retries
            }

            // The cache by id evicted (and zeroed) it: this reference is stale; load the scope's key again.
            _activeByScope.Remove((kind, scope), key);
        }
    }

    private async ValueTask<DataKey> GetByIdAsync(Guid keyId, bool async, CancellationToken cancellationToken)
    {
        var key = await _keysById.GetOrLoadAsync(keyId, _loadById, async, cancellationToken).ConfigureAwait(false);
        return key.IsDestroyed
            ? throw new DataKeyUnavailableException(keyId, FieldDecryptionFailure.KeyDestroyed)
            : key;
    }

    private async ValueTask<DataKey> LoadByIdAsync(Guid keyId, bool async, CancellationToken cancellationToken)
    {
        DataKeyRecord? record;
        try
        {
            record = async ? await _store.FindAsync(keyId, cancellationToken).ConfigureAwait(false) : _store.Find(keyId);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            throw new KeyServiceUnavailableException($"The key store could not be read for key {keyId}. Nothing was decrypted; retry when the database is reachable.", exception) { KeyId = keyId.ToString() };
        }

        if (record is null)
        {
            throw new DataKeyUnavailableException(keyId, FieldDecryptionFailure.UnknownKey);
        }

        // A destroyed key is cached as a marker so reading shredded values does not query the key table each time.
        return record.State == DataKeyState.Destroyed || record.WrappedKey is null
            ? DataKey.Destroyed(record.Id, record.Scope)
            : await UnwrapAsync(record, async, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<DataKey> LoadOrCreateActiveAsync((DataKeyKind Kind, string Scope) slot, bool async, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var readAt = _time.GetTimestamp();
            DataKeyRecord? latest;
            try
            {
                latest = async
                    ? await _store.FindLatestAsync(slot.Kind, slot.Scope, cancellationToken).ConfigureAwait(false)
                    : _store.FindLatest(slot.Kind, slot.Scope);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                throw new KeyServiceUnavailableException($"The key store could not be read for scope '{slot.Scope}'. Nothing was written; retry when the database is reachable.", exception);
            }

            if (latest is { State: DataKeyState.Active, WrappedKey: not null })
            {
                var active = await OwnedAsync(latest, async, cancellationToken).ConfigureAwait(false);
                if (active.IsDestroyed)
                {
                    continue; // shredded since it was read: read the scope again (and refuse it)
                }

                active.ConfirmActiveUntil(readAt + _recheckTimestampTicks);
                return active;
            }

            if (slot.Kind == DataKeyKind.Data && latest is { State: DataKeyState.Destroyed })
            {
                throw Shredded(slot.Scope);
            }

            if (slot.Kind == DataKeyKind.Intermediate && latest is null && _settings.RootKeyPin is { } pin)
            {
                throw new KeyAuthenticationException(
                    $"The key table holds no intermediate key, but RootKeyPin names '{pin.Split(':')[0]}': the key table was emptied or replaced, or this is another deployment's key store. Nothing was written. Restore the key table; remove RootKeyPin only to start a new deployment.");
            }

            var (record, key) = await CreateAsync(slot.Kind, slot.Scope, latest, async, cancellationToken).ConfigureAwait(false);
            bool inserted;
            try
            {
                inserted = async ? await _store.TryInsertAsync(record, cancellationToken).ConfigureAwait(false) : _store.TryInsert(record);
            }
            catch
            {
                key.Dispose();
                throw;
            }

            if (inserted)
            {
                LogKeyCreated(_logger, slot.Kind.ToString(), slot.Scope, record.Version, record.Id);
                key.AddInvocationBudget(record.InvocationsReserved);
                key.ConfirmActiveUntil(readAt + _recheckTimestampTicks);
                return await AdoptAsync(record, key, async, cancellationToken).ConfigureAwait(false);
            }

            // Another instance created this version first: use theirs (this one was never stored: zero it).
            key.Dispose();
        }

        throw new KeyServiceUnavailableException($"A key for scope '{slot.Scope}' could not be created: other writers kept winning. Retry.");
    }

    private async ValueTask<(DataKeyRecord Record, DataKey Key)> CreateAsync(DataKeyKind kind, string scope, DataKeyRecord? latest, bool async, CancellationToken cancellationToken)
    {
        var id = Guid.CreateVersion7(_time.GetUtcNow());
        var material = RandomNumberGenerator.GetBytes(DataKey.KeySizeBytes);
        try
        {
            var record = new DataKeyRecord
            {
                Id = id,
                Kind = kind,
                Scope = scope,
                Version = (latest?.Version ?? 0) + 1,
                State = DataKeyState.Active,
                CreatedAt = _time.GetUtcNow(),

                // A new data key is inserted with its creator's first block of encryptions reserved: the insert is the
                // reservation, one round trip fewer per new key (and per new patient).
                InvocationsReserved = kind == DataKeyKind.Data ? FirstReservation : 0,
            };
            if (kind == DataKeyKind.Intermediate)
            {
                if (latest is not null)
                {
                    // Link the new version to the one it follows, which only a holder of that key's material can do.
                    record.Authenticator = await UsePredecessorAsync(
                        record,
                        latest,
                        predecessor =>
                        {
                            using var lease = predecessor.LeaseMaterial();
                            return RootKeyAuthenticator.Link(lease.Material, predecessor.Id, record, material);
                        },
                        async,
                        cancellationToken).ConfigureAwait(false);
                }

                var kek = _kek;
                record.WrappedKey = async
                    ? await CallKekAsync(kek, k => k.WrapKeyAsync(_settings.KeyWrapAlgorithm, material, cancellationToken), "wrap", cancellationToken).ConfigureAwait(false)
                    : CallKek(kek, k => k.WrapKey(_settings.KeyWrapAlgorithm, material, cancellationToken), "wrap");
                record.WrappedBy = kek.KeyId;
                record.WrapAlgorithm = _settings.KeyWrapAlgorithm;
            }
            else
            {
                (record.WrappedKey, var parentId) = await UseKeyAsync(
                    () => GetActiveAsync(DataKeyKind.Intermediate, KeyScopes.Root, async, cancellationToken),
                    parent => (WrapLocally(parent, record, material), parent.Id)).ConfigureAwait(false);
                record.WrappedBy = parentId.ToString();
                record.WrapAlgorithm = KeyWrapAlgorithm.AesGcmKeyWrap256;
            }

            return (record, new DataKey(id, scope, material));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }

    /// <summary>Runs <paramref name="use"/> on the authenticated intermediate key that <paramref name="record"/> (version n) follows: <paramref name="previous"/>, version n − 1.</summary>
    private async ValueTask<T> UsePredecessorAsync<T>(DataKeyRecord record, DataKeyRecord previous, Func<DataKey, T> use, bool async, CancellationToken cancellationToken)
    {
        if (previous.Kind != DataKeyKind.Intermediate || previous.Version != record.Version - 1)
        {
            throw Forged(record, $"claims to follow entry {previous.Id}, which is not intermediate key version {record.Version - 1}");
        }

        try
        {
            return await UseKeyAsync(() => GetByIdAsync(previous.Id, async, cancellationToken), use).ConfigureAwait(false);
        }
        catch (DataKeyUnavailableException unavailable)
        {
            throw Forged(record, $"follows intermediate key version {record.Version - 1} ({previous.Id}), which holds no key material to link from", unavailable);
        }
    }

    /// <summary>
    /// Refuses an intermediate key that cannot be shown to be this deployment's: version 1 unless it matches the pin (when
    /// one is configured), any later version unless its link from the previous version verifies.
    /// </summary>
    private async ValueTask VerifyRootAsync(DataKeyRecord record, byte[] material, bool async, CancellationToken cancellationToken)
    {
        PrecheckRoot(record);
        if (record.Version == 1)
        {
            if (_settings.RootKeyPin is { } pin)
            {
                if (!RootKeyAuthenticator.MatchesPin(pin, record.Id, material))
                {
                    throw Forged(record, $"does not match the pinned first intermediate key (RootKeyPin names '{pin.Split(':')[0]}'): the key table's first intermediate key was replaced");
                }
            }
            else if ((IsPublicWrap(_settings.KeyWrapAlgorithm) || IsPublicWrap(record.WrapAlgorithm)) && Interlocked.Exchange(ref _unpinnedWarned, 1) == 0)
            {
                LogRootKeyNotPinned(_logger, record.WrapAlgorithm, RootKeyAuthenticator.Pin(record.Id, material));
            }

            return;
        }

        var previous = (async
            ? await _store.FindVersionAsync(DataKeyKind.Intermediate, KeyScopes.Root, record.Version - 1, cancellationToken).ConfigureAwait(false)
            : _store.FindVersion(DataKeyKind.Intermediate, KeyScopes.Root, record.Version - 1))
            ?? throw Forged(record, $"claims to follow intermediate key version {record.Version - 1}, which is not in the key table");
        var linked = await UsePredecessorAsync(
            record,
            previous,
            predecessor =>
            {
                using var lease = predecessor.LeaseMaterial();
                return RootKeyAuthenticator.IsLinkValid(lease.Material, predecessor.Id, record, material);
            },
            async,
            cancellationToken).ConfigureAwait(false);
        if (!linked)
        {
            throw Forged(record, $"carries a link that intermediate key version {record.Version - 1} ({previous.Id}) did not make");
        }
    }

    /// <summary>The checks that need no unwrap, made before the KEK is asked (a forged entry costs no KMS call).</summary>
    private static void PrecheckRoot(DataKeyRecord record)
    {
        if (!string.Equals(record.Scope, KeyScopes.Root, StringComparison.Ordinal) || record.Version < 1)
        {
            throw Forged(record, $"has scope '{record.Scope}' and version {record.Version}; intermediate keys have scope '{KeyScopes.Root}' and versions from 1");
        }

        if (record.Version > 1 && record.Authenticator is not { Length: RootKeyAuthenticator.Size })
        {
            throw Forged(record, $"carries no link from intermediate key version {record.Version - 1}, which every later version needs (version 1 alone has none)");
        }
    }

    private static bool IsPublicWrap(string algorithm) => algorithm.StartsWith("RSA", StringComparison.OrdinalIgnoreCase);

    private static KeyAuthenticationException Forged(DataKeyRecord record, string reason, Exception? inner = null)
    {
        var message = $"{RootKeyAuthenticator.Describe(record)} was refused: it {reason}. It was not made by this deployment: with a key-encryption key whose wrapping is public (RSA), anyone with the public key and write access to the key table can insert such an entry. Nothing was encrypted or decrypted under it; investigate the key table (docs/encryption.md, \"Authenticated key hierarchy\").";
        var keyId = record.Id.ToString();
        return inner is null ? new KeyAuthenticationException(message) { KeyId = keyId } : new KeyAuthenticationException(message, inner) { KeyId = keyId };
    }

    private async ValueTask<DataKey> UnwrapAsync(DataKeyRecord record, bool async, CancellationToken cancellationToken)
    {
        byte[] material;
        if (record.Kind == DataKeyKind.Intermediate)
        {
            PrecheckRoot(record);
            material = await UnwrapWithKekAsync(record, async, cancellationToken).ConfigureAwait(false);
            try
            {
                await VerifyRootAsync(record, material, async, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                CryptographicOperations.ZeroMemory(material);
                throw;
            }
        }
        else
        {
            if (!Guid.TryParse(record.WrappedBy, out var parentId))
            {
                throw new CryptographicException($"Key table entry {record.Id} names no valid wrapping key; the key table was altered.");
            }

            material = await UseKeyAsync(() => GetByIdAsync(parentId, async, cancellationToken), parent => UnwrapLocally(parent, record)).ConfigureAwait(false);
        }

        try
        {
            return new DataKey(record.Id, record.Scope, material);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }

    private async ValueTask<byte[]> UnwrapWithKekAsync(DataKeyRecord record, bool async, CancellationToken cancellationToken)
    {
        var kek = await ResolveKekAsync(record.WrappedBy, async, cancellationToken).ConfigureAwait(false);
        var wrapped = record.WrappedKey!;
        try
        {
            return async
                ? await CallKekAsync(kek, k => k.UnwrapKeyAsync(record.WrapAlgorithm, wrapped, cancellationToken), "unwrap", cancellationToken).ConfigureAwait(false)
                : CallKek(kek, k => k.UnwrapKey(record.WrapAlgorithm, wrapped, cancellationToken), "unwrap");
        }
        catch (CryptographicException rejected)
        {
            // Not an outage: the key service answered, and refused the wrapped key. Retrying will not help.
            throw new CryptographicException(
                $"Key table entry {record.Id} (scope '{record.Scope}') was rejected by key-encryption key '{kek.KeyId}': it was altered, or it was wrapped by another key with the same id.",
                rejected);
        }
    }

    private async ValueTask<IKeyEncryptionKey> ResolveKekAsync(string kekId, bool async, CancellationToken cancellationToken)
    {
        var current = _kek;
        if (string.Equals(current.KeyId, kekId, StringComparison.Ordinal))
        {
            return current;
        }

        if (_resolver is null)
        {
            throw new KeyServiceUnavailableException(
                $"Intermediate keys are wrapped by key-encryption key '{kekId}', but only '{current.KeyId}' is configured. Register a key resolver that can return '{kekId}' (keep old KEKs resolvable until rotation completes).")
            {
                KeyId = kekId,
            };
        }

        try
        {
            return async
                ? await _resolver.ResolveAsync(kekId, cancellationToken).ConfigureAwait(false)
                : _resolver.Resolve(kekId, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException and not KeyServiceUnavailableException)
        {
            throw new KeyServiceUnavailableException($"Key-encryption key '{kekId}' could not be resolved. Nothing was decrypted or written.", exception) { KeyId = kekId };
        }
    }

    private static T CallKek<T>(IKeyEncryptionKey kek, Func<IKeyEncryptionKey, T> call, string operation)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var succeeded = false;
        try
        {
            var result = call(kek);
            succeeded = true;
            return result;
        }
        catch (Exception exception) when (exception is not OperationCanceledException and not KeyServiceUnavailableException and not CryptographicException)
        {
            throw KekFailed(kek, operation, exception);
        }
        finally
        {
            Hipaa.Diagnostics.CoreTelemetry.RecordKekCall(operation, succeeded, started);
        }
    }

    private static async Task<T> CallKekAsync<T>(IKeyEncryptionKey kek, Func<IKeyEncryptionKey, Task<T>> call, string operation, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var succeeded = false;
        try
        {
            var result = await call(kek).ConfigureAwait(false);
            succeeded = true;
            return result;
        }
        catch (Exception exception) when (exception is not KeyServiceUnavailableException and not CryptographicException
            && !(exception is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            throw KekFailed(kek, operation, exception);
        }
        finally
        {
            Hipaa.Diagnostics.CoreTelemetry.RecordKekCall(operation, succeeded, started);
        }
    }

    private static KeyServiceUnavailableException KekFailed(IKeyEncryptionKey kek, string operation, Exception exception) =>
        new($"The key-encryption key '{kek.KeyId}' failed to {operation} a key ({exception.GetType().Name}). Nothing was written and nothing was decrypted; check that the key service is reachable and the key is enabled.", exception)
        {
            KeyId = kek.KeyId,
        };

    private static byte[] WrapLocally(DataKey parent, DataKeyRecord record, ReadOnlySpan<byte> material)
    {
        var wrapped = new byte[FieldCiphertext.NonceSize + material.Length + FieldCiphertext.TagSize];
        var nonce = wrapped.AsSpan(0, FieldCiphertext.NonceSize);
        RandomNumberGenerator.Fill(nonce);
        parent.Encrypt(nonce, material, wrapped.AsSpan(FieldCiphertext.NonceSize, material.Length), wrapped.AsSpan(FieldCiphertext.NonceSize + material.Length), KeyAssociatedData(record));
        return wrapped;
    }

    private static byte[] UnwrapLocally(DataKey parent, DataKeyRecord record)
    {
        var wrapped = record.WrappedKey!;
        var length = wrapped.Length - FieldCiphertext.NonceSize - FieldCiphertext.TagSize;
        if (length != DataKey.KeySizeBytes)
        {
            throw new CryptographicException($"Key table entry {record.Id} has a wrapped key of the wrong length; the key table was altered.");
        }

        var material = new byte[length];
        var ok = parent.TryDecrypt(
            wrapped.AsSpan(0, FieldCiphertext.NonceSize),
            wrapped.AsSpan(FieldCiphertext.NonceSize, length),
            wrapped.AsSpan(FieldCiphertext.NonceSize + length),
            material,
            KeyAssociatedData(record));
        return ok
            ? material
            : throw new CryptographicException($"Key table entry {record.Id} (scope '{record.Scope}') failed authentication: it was altered or copied from another entry.");
    }

    /// <summary>lp("hipaa-key-v1") || key id (16, big-endian) || kind (1) || lp(scope).</summary>
    private static byte[] KeyAssociatedData(DataKeyRecord record)
    {
        var scope = Encoding.UTF8.GetBytes(record.Scope);
        var data = new byte[4 + KeyWrapLabel.Length + 16 + 1 + 4 + scope.Length];
        var offset = 0;
        FieldCiphertext.WriteLengthPrefixed(data, ref offset, KeyWrapLabel);
        record.Id.TryWriteBytes(data.AsSpan(offset, 16), bigEndian: true, out _);
        offset += 16;
        data[offset++] = (byte)record.Kind;
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(offset), scope.Length);
        scope.CopyTo(data, offset + 4);
        return data;
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Created {Kind} key {KeyId} version {Version} for scope {Scope}.")]
    private static partial void LogKeyCreated(ILogger logger, string kind, string scope, int version, Guid keyId);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Rotated the key-encryption key to {KekId}: re-wrapped {Count} intermediate keys.")]
    private static partial void LogKekRotated(ILogger logger, string kekId, int count);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "Rolled the data key of scope {Scope}; new key {KeyId}.")]
    private static partial void LogDataKeyRolled(ILogger logger, string scope, Guid keyId);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Crypto-shredded scope {Scope}: destroyed {Count} data keys.")]
    private static partial void LogScopeDestroyed(ILogger logger, string scope, int count);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Warning, Message = "Intermediate keys are wrapped with {Algorithm}, which anyone with the public key can do: pin the first intermediate key so that a key table replaced by someone with write access to the database is refused. Set FieldEncryptionOptions.RootKeyPin to \"{Pin}\" (docs/encryption.md).")]
    private static partial void LogRootKeyNotPinned(ILogger logger, string algorithm, string pin);

    [LoggerMessage(EventId = 1107, Level = LogLevel.Warning, Message = "Rolled the intermediate key; new key {KeyId}, linked to its predecessor.")]
    private static partial void LogIntermediateKeyRolled(ILogger logger, Guid keyId);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Information, Message = "Data key {KeyId} of scope {Scope} reached its invocation limit and is retired.")]
    private static partial void LogInvocationLimitReached(ILogger logger, Guid keyId, string scope);
}
