using System.Reflection;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hipaa.EfCore.Encryption;

/// <summary>
/// Key operations of field encryption, resolved from DI: rotate the key-encryption key, roll a data key and re-encrypt
/// old values, crypto-shred a patient or scope, and encrypt a column that still holds plaintext.
/// </summary>
public sealed class FieldEncryptionKeyManager
{
    private static readonly MethodInfo RewriteEntityMethod = typeof(FieldEncryptionKeyManager).GetMethod(nameof(RewriteEntityAsync), BindingFlags.NonPublic | BindingFlags.Instance)!;
    private readonly FieldEncryptionRuntime _runtime;

    internal FieldEncryptionKeyManager(FieldEncryptionRuntime runtime) => _runtime = runtime;

    /// <summary>
    /// Re-wraps every intermediate key with <paramref name="newKeyEncryptionKey"/>, online: no data or data key is
    /// rewritten and reads continue. Every application instance must be able to resolve the new KEK (through its key
    /// resolver) before you call this; keep the old KEK resolvable until all instances have the new one.
    /// </summary>
    /// <param name="newKeyEncryptionKey">The new KEK.</param>
    /// <param name="keyWrapAlgorithm">The algorithm to wrap with, e.g. <see cref="KeyWrapAlgorithm.AesKeyWrap256"/>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The number of intermediate keys re-wrapped.</returns>
    public Task<int> RotateKeyEncryptionKeyAsync(IKeyEncryptionKey newKeyEncryptionKey, string keyWrapAlgorithm, CancellationToken cancellationToken = default) =>
        _runtime.KeyRing.RotateKeyEncryptionKeyAsync(newKeyEncryptionKey, keyWrapAlgorithm, cancellationToken);

    /// <summary>
    /// Retires the active intermediate key and makes the next version, linked to it so that every instance can tell it
    /// from a forged one. New data and index keys are wrapped by the new intermediate key; existing ones stay wrapped by
    /// theirs (no data key and no data is rewritten). One KEK wrap.
    /// </summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The new intermediate key's id.</returns>
    public Task<Guid> RollIntermediateKeyAsync(CancellationToken cancellationToken = default) =>
        _runtime.KeyRing.RollIntermediateKeyAsync(cancellationToken);

    /// <summary>
    /// The pin of this deployment's first intermediate key, for <see cref="FieldEncryptionOptions.RootKeyPin"/>: its id and
    /// a fingerprint of it (which reveals nothing of the key). Creates the key when the key table is empty. Read it once,
    /// from an instance you trust, and put it in every instance's configuration.
    /// </summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The pin, <c>{id}:{32 hex digits}</c>.</returns>
    public Task<string> GetRootKeyPinAsync(CancellationToken cancellationToken = default) =>
        _runtime.KeyRing.GetRootKeyPinAsync(cancellationToken);

    /// <summary>Retires the active data key of <paramref name="scope"/> and makes a new one. Old values still decrypt; <see cref="ReencryptAsync"/> moves them.</summary>
    /// <param name="scope">The scope.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The new data key's id.</returns>
    /// <exception cref="ShreddedScopeException">The scope was shredded (also when the shred won a race with this roll): it stays shredded.</exception>
    public Task<Guid> RollDataKeyAsync(DataKeyScope scope, CancellationToken cancellationToken = default) =>
        _runtime.KeyRing.RollDataKeyAsync(Validate(scope), cancellationToken);

    /// <summary>
    /// Crypto-shreds <paramref name="scope"/>: destroys its data keys, so every value they encrypted can never be
    /// decrypted again (reading one gives <see cref="FieldDecryptionException"/> with
    /// <see cref="FieldDecryptionFailure.KeyDestroyed"/>, or null under <see cref="ShreddedValueHandling.ReturnNull"/>).
    /// Other instances stop decrypting within <see cref="FieldEncryptionOptions.KeyCacheLifetime"/> and stop encrypting
    /// within <see cref="FieldEncryptionOptions.KeyStateRecheckInterval"/>; from then on a write to the scope throws
    /// <see cref="ShreddedScopeException"/> everywhere (the scope stays closed). A roll racing the shred never brings a
    /// destroyed key back: every key state change is a compare-and-set.
    /// </summary>
    /// <param name="scope">The scope, typically <see cref="DataKeyScope.ForPatient(Guid)"/>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The number of data keys destroyed: 0 when the scope was already shredded.</returns>
    /// <exception cref="InvalidOperationException">
    /// The key store holds no data key for <paramref name="scope"/>, so nothing was shredded: no value was ever encrypted
    /// under it (a wrong id, a table or column name in another case, or a patient with no encrypted values).
    /// </exception>
    public async Task<int> ShredAsync(DataKeyScope scope, CancellationToken cancellationToken = default)
    {
        var name = Validate(scope);
        var result = await _runtime.KeyRing.DestroyScopeAsync(name, cancellationToken).ConfigureAwait(false);
        if (scope.SpelledAs is { } spelled)
        {
            var legacy = await _runtime.KeyRing.DestroyScopeAsync(spelled, cancellationToken).ConfigureAwait(false);
            result = new ScopeShredResult(result.KeysFound + legacy.KeysFound, result.KeysDestroyed + legacy.KeysDestroyed);
        }

        return result.KeysFound > 0
            ? result.KeysDestroyed
            : throw new InvalidOperationException(
                $"The key store holds no data key for scope '{name}', so nothing was shredded: no value was ever encrypted under it. Check the id (the value of the entity's [PatientId] property; table and column names are case-sensitive) and the key store the application uses.");
    }

    /// <summary>
    /// Re-encrypts, in batches, every value not encrypted under its scope's active data key (after a roll). Each batch
    /// commits on its own; running it again after an interruption continues where values still need it.
    /// </summary>
    /// <param name="context">A context of the application's model (its own instance; the change tracker is cleared per batch).</param>
    /// <param name="batchSize">Rows per batch (and per transaction).</param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <returns>Rows scanned and values rewritten.</returns>
    public Task<ReencryptionResult> ReencryptAsync(DbContext context, int batchSize = 500, CancellationToken cancellationToken = default) =>
        RewriteAsync(context, batchSize, plaintextMigration: false, cancellationToken);

    /// <summary>
    /// Encrypts, in place and in batches, values still stored in plaintext in encrypted columns (written before
    /// encryption was enabled). Needs <see cref="FieldEncryptionOptions.AllowPlaintextReadsDuringMigration"/> on while it
    /// runs; resumable: rerunning it skips values already encrypted. See docs/encryption.md, "Encrypting existing data".
    /// </summary>
    /// <param name="context">A context of the application's model.</param>
    /// <param name="batchSize">Rows per batch (and per transaction).</param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <returns>Rows scanned and values encrypted.</returns>
    public Task<ReencryptionResult> EncryptExistingDataAsync(DbContext context, int batchSize = 500, CancellationToken cancellationToken = default)
    {
        if (!_runtime.Options.AllowPlaintextReadsDuringMigration)
        {
            throw new InvalidOperationException(
                "EncryptExistingDataAsync reads plaintext values, which FieldEncryptionOptions.AllowPlaintextReadsDuringMigration forbids. Turn it on for the migration, then off again.");
        }

        return RewriteAsync(context, batchSize, plaintextMigration: true, cancellationToken);
    }

    private static string Validate(DataKeyScope scope) =>
        string.IsNullOrEmpty(scope.Name) ? throw new ArgumentException("The scope is empty; use DataKeyScope.Application, ForColumn or ForPatient.", nameof(scope)) : scope.Name;

    private async Task<ReencryptionResult> RewriteAsync(DbContext context, int batchSize, bool plaintextMigration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        long rows = 0, values = 0;
        foreach (var entityType in context.Model.GetEntityTypes())
        {
            if (entityType.BaseType is not null || entityType.ClrType is null || _runtime.GetModel(entityType) is null)
            {
                continue;
            }

            var task = (Task<ReencryptionResult>)RewriteEntityMethod.MakeGenericMethod(entityType.ClrType)
                .Invoke(this, [context, entityType, batchSize, plaintextMigration, cancellationToken])!;
            var result = await task.ConfigureAwait(false);
            rows += result.RowsScanned;
            values += result.ValuesRewritten;
        }

        return new ReencryptionResult(rows, values);
    }

    private async Task<ReencryptionResult> RewriteEntityAsync<TEntity>(DbContext context, IEntityType entityType, int batchSize, bool plaintextMigration, CancellationToken cancellationToken)
        where TEntity : class
    {
        var keys = entityType.FindPrimaryKey()!.Properties;
        long rows = 0, values = 0;
        for (var page = 0; ; page++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            IQueryable<TEntity> query = context.Set<TEntity>();
            IOrderedQueryable<TEntity> ordered = query.OrderBy(e => EF.Property<object>(e, keys[0].Name));
            for (var i = 1; i < keys.Count; i++)
            {
                var name = keys[i].Name;
                ordered = ordered.ThenBy(e => EF.Property<object>(e, name));
            }

            var batch = await ordered.Skip(page * batchSize).Take(batchSize).ToListAsync(cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                break;
            }

            foreach (var entity in batch)
            {
                values += await RewriteRowAsync(context, entity, plaintextMigration, cancellationToken).ConfigureAwait(false);
            }

            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            context.ChangeTracker.Clear();
            rows += batch.Count;
            if (batch.Count < batchSize)
            {
                break;
            }
        }

        return new ReencryptionResult(rows, values);
    }

    /// <summary>Whether a value needs no re-encryption: it is under its scope's active key, or its scope was shredded (it stays as it is).</summary>
    private async ValueTask<bool> IsActiveOrShreddedAsync(string scope, Guid keyId, CancellationToken cancellationToken)
    {
        try
        {
            return await _runtime.KeyRing.IsActiveKeyAsync(scope, keyId, cancellationToken).ConfigureAwait(false);
        }
        catch (ShreddedScopeException)
        {
            return true;
        }
    }

    private async Task<int> RewriteRowAsync(DbContext context, object entity, bool plaintextMigration, CancellationToken cancellationToken)
    {
        var entry = context.Entry(entity);
        var model = _runtime.GetModel(entry.Metadata)!;
        var keyValues = model.KeyProperties.Select(k => entry.Property(k.Name).CurrentValue).ToArray();
        var row = EncryptedEntityModel.FormatRow(keyValues);
        var patientId = model.PatientId is null ? string.Empty : EncryptedEntityModel.FormatValue(entry.Property(model.PatientId.Name).CurrentValue);
        var rewritten = 0;
        foreach (var property in model.Properties)
        {
            var stored = (byte[]?)entry.Property(property.Ciphertext.Name).CurrentValue;
            if (stored is null)
            {
                continue;
            }

            bool needsRewrite;
            if (!FieldCiphertext.LooksEncrypted(stored))
            {
                needsRewrite = plaintextMigration;
            }
            else
            {
                var keyId = FieldCipher.ReadKeyId(stored, model.DisplayName, property.Name);
                needsRewrite = !plaintextMigration
                    && !await IsActiveOrShreddedAsync(_runtime.ScopeFor(model, property, patientId), keyId, cancellationToken).ConfigureAwait(false);
            }

            if (!needsRewrite || property.GetValue(entity) is not { } value)
            {
                continue;
            }

            entry.Property(property.Ciphertext.Name).CurrentValue = await _runtime.EncryptAsync(model, property, value, row, patientId, cancellationToken).ConfigureAwait(false);
            if (property.BlindIndex is not null)
            {
                var index = entry.Property(property.BlindIndex.Name);
                index.CurrentValue = value;
                index.IsModified = true;
            }

            rewritten++;
        }

        return rewritten;
    }
}
