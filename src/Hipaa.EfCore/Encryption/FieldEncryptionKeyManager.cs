using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.CompilerServices;
using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Enforcement;
using Hipaa.Encryption;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;

namespace Hipaa.EfCore.Encryption;

/// <summary>
/// Key operations of field encryption, resolved from DI: rotate the key-encryption key, roll a data key and re-encrypt
/// old values, crypto-shred a patient or scope, and encrypt a column that still holds plaintext.
/// </summary>
public sealed class FieldEncryptionKeyManager
{
    private static readonly MethodInfo RewriteEntityMethod = typeof(FieldEncryptionKeyManager).GetMethod(nameof(RewriteEntityAsync), BindingFlags.NonPublic | BindingFlags.Instance)!;
    private static readonly MethodInfo WriteRowMethod = typeof(FieldEncryptionKeyManager).GetMethod(nameof(WriteRowAsync), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo EfPropertyMethod = typeof(EF).GetMethod(nameof(EF.Property))!;
    private readonly FieldEncryptionRuntime _runtime;
    private readonly TimeProvider _time;

    internal FieldEncryptionKeyManager(FieldEncryptionRuntime runtime, TimeProvider? time = null)
    {
        _runtime = runtime;
        _time = time ?? TimeProvider.System;
    }

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
    /// <remarks>
    /// This overload leaves the blind indexes of the shredded values in the application's tables, so a search for a
    /// shredded value finds its row and is refused (<see cref="FieldDecryptionFailure.IndexMismatch"/>): give the
    /// application's context (<see cref="ShredAsync(DataKeyScope, DbContext, CancellationToken)"/>) to clear them.
    /// </remarks>
    /// <param name="scope">The scope, typically <see cref="DataKeyScope.ForPatient(Guid)"/>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The number of data keys destroyed: 0 when the scope was already shredded.</returns>
    /// <exception cref="InvalidOperationException">
    /// The key store holds no data key for <paramref name="scope"/>, so nothing was shredded: no value was ever encrypted
    /// under it (a wrong id, a table or column name in another case, or a patient with no encrypted values).
    /// </exception>
    public async Task<int> ShredAsync(DataKeyScope scope, CancellationToken cancellationToken = default) =>
        (await DestroyAsync(scope, cancellationToken).ConfigureAwait(false)).KeysDestroyed;

    /// <summary>
    /// Crypto-shreds <paramref name="scope"/> as <see cref="ShredAsync(DataKeyScope, CancellationToken)"/> does, then
    /// clears the blind index of every value the destroyed keys encrypted in the tables of <paramref name="context"/>'s
    /// model: a shredded value then matches no search (neither <c>== value</c> nor <c>== null</c>), and a search that
    /// still finds such a row — its index moved there by someone with write access to the database — is refused.
    /// Idempotent: calling it again for a scope shredded earlier (also by the overload without a context) clears what
    /// is left, e.g. a value a warm instance wrote before it saw the shred.
    /// </summary>
    /// <remarks>
    /// The indexes are cleared after the keys are destroyed, with one <c>UPDATE</c> per searchable column (a scan of its
    /// table: rows are found by the key id in each value's header). The updates go through <paramref name="context"/>,
    /// so with query auditing they are audited as updates by the current access context (run it under
    /// <c>AccessContext.ForKeyMaintenance(name)</c>), and with policy enforcement on, only under that context.
    /// SQLite and PostgreSQL.
    /// </remarks>
    /// <param name="scope">The scope, typically <see cref="DataKeyScope.ForPatient(Guid)"/>.</param>
    /// <param name="context">A context of the application's model, on the application's database.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The number of data keys destroyed: 0 when the scope was already shredded.</returns>
    /// <exception cref="InvalidOperationException">
    /// The key store holds no data key for <paramref name="scope"/> (nothing was shredded); with auditing, no access
    /// context, or with enforcement, not the key-maintenance context (nothing was shredded); or the keys were destroyed
    /// but an index could not be cleared (the message says so: run it again).
    /// </exception>
    /// <exception cref="NotSupportedException">The context's database is neither SQLite nor PostgreSQL (nothing was shredded).</exception>
    public async Task<int> ShredAsync(DataKeyScope scope, DbContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        Validate(scope);
        if (!ShreddedBlindIndexes.IsSupported(context))
        {
            throw new NotSupportedException(
                $"ShredAsync(scope, context) clears the blind indexes of the shredded values on SQLite, PostgreSQL and SQL Server only; this context uses {context.Database.ProviderName}. Nothing was shredded. Call ShredAsync(scope) without the context (searches for the shredded values are then refused as index mismatches) and clear the '_bidx' columns of the shredded rows yourself.");
        }

        if (HipaaContext.Audit(context) is { } audit)
        {
            var access = AuditRuntime.RequireContext($"{nameof(ShredAsync)}(scope, context) clears the blind indexes of the shredded values in the application's tables, which");
            if (audit.Enforcement is not null && access.PurposeOfUse != PurposeOfUse.SystemAdministration)
            {
                throw new InvalidOperationException(
                    $"{nameof(ShredAsync)}(scope, context) clears the blind indexes of the shredded values with bulk updates of the application's tables, and policy enforcement is on: run it under the key-maintenance access context, using (AccessContext.Begin(AccessContext.ForKeyMaintenance(\"shred\"))) {{ ... }} (purpose HSYSADMIN). Nothing was shredded.");
            }
        }

        var destroyed = await DestroyAsync(scope, cancellationToken).ConfigureAwait(false);
        try
        {
            // Its bulk updates of the application's tables are decided as key maintenance (maintenance.reencrypt), not as
            // ordinary updates: under policy enforcement no role may update every category.
            using var maintenance = KeyMaintenanceScope.Enter();
            await ShreddedBlindIndexes.ClearAsync(_runtime, context, destroyed.KeyIds, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception failure) when (failure is not OperationCanceledException)
        {
            throw new InvalidOperationException(
                $"Scope '{scope.Name}' was shredded ({destroyed.KeysDestroyed} data key(s) destroyed now; its values can never be decrypted again and it accepts no new ones), but the blind indexes of its values could not all be cleared, so a search for a shredded value may still find its row (and be refused). Run ShredAsync(scope, context) again once the database is reachable; it destroys nothing more and clears what is left.",
                failure);
        }

        return destroyed.KeysDestroyed;
    }

    /// <summary>
    /// Rewrites the key table so that the wrapped keys erased by shreds leave its files: a shred sets a key's wrapped form
    /// to null, but the database keeps the row as it was until the table is rewritten — on PostgreSQL as a dead tuple
    /// (a plain <c>VACUUM</c> frees its space without overwriting it), on SQLite in the page's free space and the
    /// write-ahead log. PostgreSQL: <c>VACUUM FULL</c> on the key table, run only once no transaction older than the
    /// newest shred is open (such a transaction can still see the erased row, so the rewrite would keep it); it waits up
    /// to <paramref name="waitForOlderTransactions"/> for them to end and otherwise reports them, and gives up on the
    /// table's exclusive lock after 5 seconds (reporting who holds it) rather than queue every key lookup behind it.
    /// SQLite: <c>VACUUM</c> of the key store's database and, in WAL mode, a truncating checkpoint of its log. WAL segments,
    /// archives, backups and replicas are not touched (docs/encryption.md, "Physical erasure").
    /// </summary>
    /// <remarks>
    /// The rewrite locks the key table exclusively while it runs (cold key lookups wait; cached keys are not affected) and
    /// takes time in proportion to the table; it runs with the key store's command timeout. On PostgreSQL it needs the
    /// table's owner (or a superuser; on PostgreSQL 17, the MAINTAIN privilege). Run it after a shred, or after a batch of
    /// shreds (e.g. nightly), and check <see cref="KeyTableCompaction.Compacted"/>.
    /// </remarks>
    /// <param name="waitForOlderTransactions">How long to wait for older transactions to end before reporting them; zero (the default) reports at once.</param>
    /// <param name="cancellationToken">Cancels the wait and the statements.</param>
    /// <returns>What was done and, when nothing was, what stood in the way.</returns>
    /// <exception cref="InvalidOperationException">On PostgreSQL, the key store's role may not vacuum the key table (nothing was done).</exception>
    public Task<KeyTableCompaction> CompactKeyTableAsync(TimeSpan waitForOlderTransactions = default, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(waitForOlderTransactions, TimeSpan.Zero);
        return KeyTableCompactor.CompactAsync(_runtime, _time, waitForOlderTransactions, cancellationToken);
    }

    /// <summary>Destroys the scope's keys (and those of its earlier spelling); throws when the scope never had one.</summary>
    private async Task<ScopeShredResult> DestroyAsync(DataKeyScope scope, CancellationToken cancellationToken)
    {
        var name = Validate(scope);
        var result = await _runtime.KeyRing.DestroyScopeAsync(name, cancellationToken).ConfigureAwait(false);
        if (scope.SpelledAs is { } spelled)
        {
            var legacy = await _runtime.KeyRing.DestroyScopeAsync(spelled, cancellationToken).ConfigureAwait(false);
            result = new ScopeShredResult(result.KeysFound + legacy.KeysFound, result.KeysDestroyed + legacy.KeysDestroyed, [.. result.KeyIds, .. legacy.KeyIds]);
        }

        return result.KeysFound > 0
            ? result
            : throw new InvalidOperationException(
                $"The key store holds no data key for scope '{name}', so nothing was shredded: no value was ever encrypted under it. Check the id (the value of the entity's [PatientId] property; table and column names are case-sensitive) and the key store the application uses.");
    }

    /// <summary>
    /// Re-encrypts, in batches, every value not encrypted under its scope's active data key (after a roll), and every value
    /// still in ciphertext format version 1 (written before format 2, which binds the table's schema too). Each batch
    /// commits on its own; running it again after an interruption continues where values still need it. It never
    /// overwrites a newer value: each row is written with a compare-and-swap on the values it read
    /// (<c>UPDATE … WHERE key = @key AND column = @asRead</c>), and a row the application changed meanwhile is left as it
    /// is and counted in <see cref="ReencryptionResult.RowsSkipped"/>.
    /// </summary>
    /// <param name="context">A context of the application's model (its own instance; the change tracker is cleared per batch).</param>
    /// <param name="batchSize">Rows per batch (and per transaction).</param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <returns>Rows scanned, values rewritten and rows skipped because they changed meanwhile.</returns>
    public Task<ReencryptionResult> ReencryptAsync(DbContext context, int batchSize = 500, CancellationToken cancellationToken = default) =>
        RewriteAsync(context, batchSize, plaintextMigration: false, cancellationToken);

    /// <summary>
    /// Encrypts, in place and in batches, values still stored in plaintext in encrypted columns (written before
    /// encryption was enabled). Needs <see cref="FieldEncryptionOptions.AllowPlaintextReadsDuringMigration"/> on while it
    /// runs; resumable: rerunning it skips values already encrypted. Like <see cref="ReencryptAsync"/>, each row is written
    /// with a compare-and-swap, so a value the application wrote meanwhile is never reverted. See docs/encryption.md,
    /// "Encrypting existing data".
    /// </summary>
    /// <param name="context">A context of the application's model.</param>
    /// <param name="batchSize">Rows per batch (and per transaction).</param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <returns>Rows scanned, values encrypted and rows skipped because they changed meanwhile.</returns>
    public Task<ReencryptionResult> EncryptExistingDataAsync(DbContext context, int batchSize = 500, CancellationToken cancellationToken = default)
    {
        if (!_runtime.Options.AllowPlaintextReadsDuringMigration)
        {
            throw new InvalidOperationException(
                "EncryptExistingDataAsync reads plaintext values, which FieldEncryptionOptions.AllowPlaintextReadsDuringMigration forbids. Turn it on for the migration, then off again.");
        }

        return RewriteAsync(context, batchSize, plaintextMigration: true, cancellationToken);
    }

    /// <summary>
    /// With policy enforcement on, a rewrite runs only under the key-maintenance purpose: it reads every row of every
    /// patient, and its compare-and-swap writes are bulk statements, which policy does not decide one by one.
    /// </summary>
    private static void RequireMaintenanceContext(DbContext context, string operation)
    {
        if (HipaaContext.Audit(context)?.Enforcement is null || AccessContext.Current?.PurposeOfUse == PurposeOfUse.SystemAdministration)
        {
            return;
        }

        throw new InvalidOperationException(
            $"{operation} reads and rewrites every encrypted value of every patient, and policy enforcement is on: run it under the key-maintenance access context, using (AccessContext.Begin(AccessContext.ForKeyMaintenance(\"key-rotation\"))) {{ ... }} (purpose HSYSADMIN, which the policy engine admits for key maintenance only). Nothing was read or written.");
    }

    private static string Validate(DataKeyScope scope) =>
        string.IsNullOrEmpty(scope.Name) ? throw new ArgumentException("The scope is empty; use DataKeyScope.Application, ForColumn or ForPatient.", nameof(scope)) : scope.Name;

    private async Task<ReencryptionResult> RewriteAsync(DbContext context, int batchSize, bool plaintextMigration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        RequireMaintenanceContext(context, plaintextMigration ? nameof(EncryptExistingDataAsync) : nameof(ReencryptAsync));

        // Its reads and updates are decided as re-encryption (maintenance.reencrypt), not as ordinary reads and updates.
        using var maintenance = KeyMaintenanceScope.Enter();
        long rows = 0, values = 0, skipped = 0;
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
            skipped += result.RowsSkipped;
        }

        return new ReencryptionResult(rows, values, skipped);
    }

    /// <summary>
    /// Rewrites one entity type's table in batches: reads a page (through the read hook, so the read is decided and
    /// audited), computes the new stored values, then writes each row with a compare-and-swap in one transaction per batch.
    /// </summary>
    private async Task<ReencryptionResult> RewriteEntityAsync<TEntity>(DbContext context, IEntityType entityType, int batchSize, bool plaintextMigration, CancellationToken cancellationToken)
        where TEntity : class
    {
        var keys = entityType.FindPrimaryKey()!.Properties;
        long rows = 0, values = 0, skipped = 0;
        for (var page = 0; ; page++)
        {
            cancellationToken.ThrowIfCancellationRequested();

            // Every row, also those a global query filter hides from the application (soft-deleted rows hold values too).
            IQueryable<TEntity> query = context.Set<TEntity>().IgnoreQueryFilters();
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

            var pending = new List<RowRewrite>();
            foreach (var entity in batch)
            {
                if (await PrepareRowAsync(context.Entry(entity), plaintextMigration, cancellationToken).ConfigureAwait(false) is { } rewrite)
                {
                    pending.Add(rewrite);
                }
            }

            context.ChangeTracker.Clear();
            if (pending.Count > 0)
            {
                var (written, conflicts) = await WriteAsync(context, pending, cancellationToken).ConfigureAwait(false);
                values += written;
                skipped += conflicts;
            }

            rows += batch.Count;
            if (batch.Count < batchSize)
            {
                break;
            }
        }

        if (skipped > 0)
        {
            FieldEncryptionLog.RowsChangedDuringRewrite(_runtime.Logger, entityType.GetTableName() ?? entityType.DisplayName(), skipped);
        }

        return new ReencryptionResult(rows, values, skipped);
    }

    /// <summary>
    /// Whether a value needs re-encryption: it is not under its scope's active key (after a roll), or it is in ciphertext
    /// format version 1 (re-encrypted to the current version, which binds the schema too). A value whose scope was
    /// shredded stays as it is.
    /// </summary>
    private async ValueTask<bool> NeedsReencryptionAsync(string scope, byte[] stored, Guid keyId, CancellationToken cancellationToken)
    {
        try
        {
            var active = await _runtime.KeyRing.IsActiveKeyAsync(scope, keyId, cancellationToken).ConfigureAwait(false);
            return !active || FieldCiphertext.IsVersion1(stored);
        }
        catch (ShreddedScopeException)
        {
            return false;
        }
    }

    /// <summary>
    /// The values of one row that need a rewrite: each with the stored bytes as read (the compare-and-swap's expected value)
    /// and its replacement. The plaintext comes from the stored bytes themselves, not from the entity, whose properties a
    /// policy may have redacted or left deferred; <see langword="null"/> when nothing in the row needs a rewrite.
    /// </summary>
    private async Task<RowRewrite?> PrepareRowAsync(EntityEntry entry, bool plaintextMigration, CancellationToken cancellationToken)
    {
        var model = _runtime.GetModel(entry.Metadata)!;
        var keyValues = model.KeyProperties.Select(k => entry.Property(k.Name).CurrentValue).ToArray();
        var row = EncryptedEntityModel.RowKey(keyValues);
        var patient = model.PatientId is null ? null : entry.Property(model.PatientId.Name).CurrentValue;
        var patientId = model.PatientId is null ? string.Empty : EncryptedEntityModel.FormatValue(patient);
        List<ColumnRewrite>? columns = null;
        foreach (var property in model.Properties)
        {
            if (entry.Property(property.Ciphertext.Name).OriginalValue is not byte[] stored)
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
                    && await NeedsReencryptionAsync(_runtime.ScopeFor(model, property, patientId), stored, keyId, cancellationToken).ConfigureAwait(false);
            }

            if (!needsRewrite || _runtime.Decrypt(model, property, stored, row, patient) is not { } value)
            {
                continue;
            }

            var replacement = await _runtime.EncryptAsync(model, property, value, row, patient, patientId, cancellationToken).ConfigureAwait(false);
            (columns ??= []).Add(new ColumnRewrite(property, stored, replacement, value));
        }

        return columns is null ? null : new RowRewrite(entry.Metadata.ClrType, model, keyValues, columns);
    }

    /// <summary>Writes the rows of a batch, each with a compare-and-swap, in one transaction (the caller's, if it has one).</summary>
    private static async Task<(long Written, long Conflicts)> WriteAsync(DbContext context, List<RowRewrite> pending, CancellationToken cancellationToken)
    {
        long written = 0, conflicts = 0;
        var transaction = context.Database.CurrentTransaction is null
            ? await context.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false)
            : null;
        await using (transaction)
        {
            foreach (var rewrite in pending)
            {
                var write = (Task<int>)WriteRowMethod.MakeGenericMethod(rewrite.ClrType).Invoke(null, [context, rewrite, cancellationToken])!;
                if (await write.ConfigureAwait(false) == 1)
                {
                    written += rewrite.Columns.Count;
                }
                else
                {
                    conflicts++;
                }
            }

            if (transaction is not null)
            {
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return (written, conflicts);
    }

    /// <summary>
    /// <c>UPDATE … SET column = @new[, column_bidx = @index] WHERE key = @key AND column = @asRead …</c>: writes the row
    /// only if every value it rewrites is still the one read. Values are closure members, so EF Core sends them as
    /// parameters and compiles one statement per shape, not one per row.
    /// </summary>
    private static Task<int> WriteRowAsync<TEntity>(DbContext context, RowRewrite rewrite, CancellationToken cancellationToken)
        where TEntity : class
    {
        var entity = Expression.Parameter(typeof(TEntity), "e");
        Expression? condition = null;
        for (var i = 0; i < rewrite.Model.KeyProperties.Count; i++)
        {
            var key = rewrite.Model.KeyProperties[i];
            condition = And(condition, Expression.Equal(PropertyOf(entity, key.ClrType, key.Name), ValueOf(rewrite.KeyValues[i], key.ClrType)));
        }

        foreach (var column in rewrite.Columns)
        {
            condition = And(condition, Expression.Equal(PropertyOf(entity, typeof(byte[]), column.Property.Ciphertext.Name), ValueOf(column.Stored, typeof(byte[]))));
        }

        var predicate = Expression.Lambda<Func<TEntity, bool>>(condition!, entity);
        return context.Set<TEntity>().IgnoreQueryFilters().Where(predicate).ExecuteUpdateAsync(
            setters =>
            {
                foreach (var column in rewrite.Columns)
                {
                    setters.SetProperty(
                        Expression.Lambda<Func<TEntity, byte[]>>(PropertyOf(entity, typeof(byte[]), column.Property.Ciphertext.Name), entity),
                        Expression.Lambda<Func<TEntity, byte[]>>(ValueOf(column.Replacement, typeof(byte[])), entity));
                    if (column.Property.BlindIndex is { } index)
                    {
                        // The index of the (unchanged) value, through its converter, so that a plaintext migration indexes it.
                        var propertyLambda = Expression.Lambda(typeof(Func<,>).MakeGenericType(typeof(TEntity), index.ClrType), PropertyOf(entity, index.ClrType, index.Name), entity);
                        var valueLambda = Expression.Lambda(typeof(Func<,>).MakeGenericType(typeof(TEntity), index.ClrType), ValueOf(column.Value, index.ClrType), entity);
                        SetterMethod<TEntity>().MakeGenericMethod(index.ClrType).Invoke(setters, [propertyLambda, valueLambda]);
                    }
                }
            },
            cancellationToken);
    }

    private static Expression And(Expression? left, Expression right) => left is null ? right : Expression.AndAlso(left, right);

    private static MethodCallExpression PropertyOf(ParameterExpression entity, Type type, string name) =>
        Expression.Call(EfPropertyMethod.MakeGenericMethod(type), entity, Expression.Constant(name));

    /// <summary>A value read from a closure object: EF Core extracts it as a query parameter (a constant would be inlined in the SQL).</summary>
    private static Expression ValueOf(object? value, Type type) =>
        Expression.Convert(Expression.Field(Expression.Constant(new StrongBox<object?>(value)), nameof(StrongBox<object?>.Value)), type);

    private static MethodInfo SetterMethod<TEntity>()
        where TEntity : class =>
        typeof(UpdateSettersBuilder<TEntity>).GetMethods().Single(m => m.Name == nameof(UpdateSettersBuilder<TEntity>.SetProperty)
            && m.GetParameters()[1].ParameterType.IsGenericType
            && m.GetParameters()[1].ParameterType.GetGenericTypeDefinition() == typeof(Expression<>));

    /// <summary>One row to rewrite: its entity type, key and the values to replace.</summary>
    private sealed record RowRewrite(Type ClrType, EncryptedEntityModel Model, object?[] KeyValues, List<ColumnRewrite> Columns);

    /// <summary>One value to replace: the stored bytes as read, the new stored bytes, and the plaintext (for the blind index).</summary>
    private sealed record ColumnRewrite(EncryptedPropertyModel Property, byte[] Stored, byte[] Replacement, object Value);
}
