using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Hipaa.EfCore.Encryption;

/// <summary>
/// Before SaveChanges sends anything, encrypts every new or changed encrypted property into its shadow ciphertext
/// column (and its blind index). If the key service fails, SaveChanges fails and nothing is written — never plaintext.
/// </summary>
internal sealed class FieldEncryptionSaveChangesInterceptor : SaveChangesInterceptor
{
    public static FieldEncryptionSaveChangesInterceptor Instance { get; } = new();

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        if (eventData.Context is { } context && HipaaContext.Encryption(context) is { } runtime)
        {
            EncryptChangesAsync(runtime, context, async: false, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        }

        return result;
    }

    public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is { } context && HipaaContext.Encryption(context) is { } runtime)
        {
            await EncryptChangesAsync(runtime, context, async: true, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    private static async ValueTask EncryptChangesAsync(FieldEncryptionRuntime runtime, DbContext context, bool async, CancellationToken cancellationToken)
    {
        if (context.ChangeTracker.AutoDetectChangesEnabled)
        {
            context.ChangeTracker.DetectChanges();
        }

        var entries = context.ChangeTracker.Entries().ToList();
        await PrepareKeysAsync(runtime, entries, async, cancellationToken).ConfigureAwait(false);
        foreach (var entry in entries)
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified or EntityState.Unchanged))
            {
                continue;
            }

            var model = runtime.GetModel(entry.Metadata);
            if (model is null)
            {
                continue;
            }

            var entity = entry.Entity;
            var previous = runtime.Snapshots.Find(entity);
            if (entry.State == EntityState.Unchanged && previous is null)
            {
                // Attached as unchanged without having been read through this context: EF's contract is that it
                // matches the database, so there is nothing to encrypt.
                continue;
            }

            var patientChanged = model.PatientId is not null && entry.State != EntityState.Added && entry.Property(model.PatientId.Name).IsModified;
            var encryptAll = entry.State == EntityState.Added || previous is null || patientChanged;
            object? row = null;
            string? patientId = null;
            var snapshot = previous is null ? new object?[model.Properties.Count] : (object?[])previous.Clone();
            for (var i = 0; i < model.Properties.Count; i++)
            {
                var property = model.Properties[i];
                var original = previous?[i];
                if (!encryptAll && ReferenceEquals(original, EncryptionSnapshots.StillEncrypted))
                {
                    // A deferred property never read nor set since the query still holds the stored ciphertext: unchanged,
                    // and not decrypted just to find that out. Once read or set, compare with what is stored.
                    if (property.Deferred!.IsDeferred(entity))
                    {
                        continue;
                    }

                    original = DecryptStored(runtime, entry, model, property);
                    snapshot[i] = EncryptionSnapshots.Copy(original);
                }

                var current = property.GetValue(entity);
                if (!encryptAll && EncryptionSnapshots.AreEqual(original, current))
                {
                    continue;
                }

                row ??= RowOf(entry, model);
                var patient = model.PatientId is null ? null : entry.Property(model.PatientId.Name).CurrentValue;
                patientId ??= model.PatientId is null ? string.Empty : EncryptedEntityModel.FormatValue(patient);
                byte[]? ciphertext = null;
                if (current is not null)
                {
                    ciphertext = async
                        ? await runtime.EncryptAsync(model, property, current, row, patient, patientId, cancellationToken).ConfigureAwait(false)
                        : runtime.Encrypt(model, property, current, row, patient, patientId);
                }

                entry.Property(property.Ciphertext.Name).CurrentValue = ciphertext;
                if (property.BlindIndex is not null)
                {
                    // EF computes the index inside its own transaction; load (or create) the index key now, outside it,
                    // so that creating it never waits on the write lock the transaction holds (SQLite).
                    if (async)
                    {
                        await runtime.KeyRing.GetIndexKeyAsync(model.Table, property.Column, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        runtime.KeyRing.GetIndexKey(model.Table, property.Column);
                    }

                    var index = entry.Property(property.BlindIndex.Name);
                    index.CurrentValue = current;
                    if (entry.State != EntityState.Added)
                    {
                        index.IsModified = true;
                    }
                }

                snapshot[i] = EncryptionSnapshots.Copy(current);
            }

            runtime.Snapshots.Set(entity, snapshot);
        }
    }

    /// <summary>
    /// Loads or creates the data keys of every scope the added and modified entities may need, in one batch before the
    /// first value is encrypted: 100 new patients cost the key store two round trips, not three each.
    /// </summary>
    private static ValueTask PrepareKeysAsync(FieldEncryptionRuntime runtime, List<EntityEntry> entries, bool async, CancellationToken cancellationToken)
    {
        HashSet<string>? scopes = null;
        HashSet<string>? newScopes = null;
        foreach (var entry in entries)
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified) || runtime.GetModel(entry.Metadata) is not { } model)
            {
                continue;
            }

            var patientId = model.PatientId is null ? string.Empty : EncryptedEntityModel.FormatValue(entry.Property(model.PatientId.Name).CurrentValue);

            // A row being added whose key is its patient id is a new patient: its per-patient key is new too (if the id
            // was used before, the first-key insert finds the scope's keys and it goes the ordinary way).
            var newPatient = entry.State == EntityState.Added && patientId.Length > 0 && IsKeyedByPatientId(entry, model);
            foreach (var property in model.Properties)
            {
                var scope = runtime.ScopeFor(model, property, patientId);
                (scopes ??= new(StringComparer.Ordinal)).Add(scope);
                if (newPatient && scope == KeyScopes.Patient(patientId))
                {
                    (newScopes ??= new(StringComparer.Ordinal)).Add(scope);
                }
            }
        }

        return scopes is { Count: > 1 } || newScopes is not null
            ? runtime.KeyRing.PrepareEncryptionKeysAsync(scopes!, newScopes, async, cancellationToken)
            : ValueTask.CompletedTask;
    }

    private static bool IsKeyedByPatientId(EntityEntry entry, EncryptedEntityModel model) =>
        entry.Metadata.FindPrimaryKey()?.Properties is [var key] && key.Name == model.PatientId!.Name;

    /// <summary>The plaintext of a tracked entity's stored value (its ciphertext property's original value), for a deferred property.</summary>
    private static object? DecryptStored(FieldEncryptionRuntime runtime, EntityEntry entry, EncryptedEntityModel model, EncryptedPropertyModel property) =>
        entry.Property(property.Ciphertext.Name).OriginalValue is byte[] stored
            ? runtime.Decrypt(
                model,
                property,
                stored,
                RowOf(entry, model),
                model.PatientId is null ? null : entry.Property(model.PatientId.Name).OriginalValue)
            : null;

    private static object? RowOf(EntityEntry entry, EncryptedEntityModel model)
    {
        var values = new object?[model.KeyProperties.Count];
        for (var i = 0; i < values.Length; i++)
        {
            var key = entry.Property(model.KeyProperties[i].Name);
            if (key.IsTemporary)
            {
                throw new InvalidOperationException(
                    $"{model.DisplayName} has encrypted properties and a store-generated key ('{key.Metadata.Name}'). Each ciphertext is bound to its row, so the key must be known before SaveChanges: use a Guid key (EF Core generates it on the client) or set the key yourself (ValueGeneratedNever).");
            }

            values[i] = key.CurrentValue;
        }

        return EncryptedEntityModel.RowKey(values);
    }
}
