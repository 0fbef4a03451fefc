using Hipaa.Auditing;
using Hipaa.EfCore.Encryption;
using Hipaa.EfCore.Enforcement;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Hipaa.EfCore.Auditing;

/// <summary>
/// Audits every PHI write of <c>SaveChanges</c> in the same transaction as the data: the audit rows are added to the
/// very same <c>SaveChanges</c>, so either both commit or neither does. One record per patient, action and entity.
/// Audit rows are append-only: changing or deleting one through the context is refused.
/// </summary>
internal sealed class AuditSaveChangesInterceptor : SaveChangesInterceptor
{
    public static AuditSaveChangesInterceptor Instance { get; } = new();

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Capture(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Capture(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        Release(eventData.Context);
        return result;
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Release(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override void SaveChangesFailed(DbContextErrorEventData eventData) => Release(eventData.Context);

    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Release(eventData.Context);
        return Task.CompletedTask;
    }

    private static void Capture(DbContext? context)
    {
        if (context is null || HipaaContext.Audit(context) is not { } runtime)
        {
            return;
        }

        if (context.ChangeTracker.AutoDetectChangesEnabled)
        {
            context.ChangeTracker.DetectChanges();
        }

        var groups = new Dictionary<(string? PatientId, AuditAction Action, PhiEntityModel Model), Group>();
        foreach (var entry in context.ChangeTracker.Entries())
        {
            if (entry.Entity is AuditEntry)
            {
                if (entry.State is EntityState.Modified or EntityState.Deleted)
                {
                    throw new InvalidOperationException(
                        "Audit records are append-only: SaveChanges refuses to change or delete a row of hipaa_audit. Records older than the retention period are purged by the audit retention routine, never through the application's context.");
                }

                continue;
            }

            if (runtime.GetModel(entry.Metadata) is not { } model)
            {
                continue;
            }

            var action = entry.State switch
            {
                EntityState.Added => AuditAction.Create,
                EntityState.Modified => AuditAction.Update,
                EntityState.Deleted => AuditAction.Delete,
                _ => (AuditAction)0,
            };
            if (action == 0)
            {
                continue;
            }

            var key = EncryptedEntityModel.FormatRow(model.KeyProperties.Select(k => entry.Property(k.Name).CurrentValue).ToArray());
            var fields = action switch
            {
                AuditAction.Create => model.Fields,
                AuditAction.Update => ModifiedFields(entry),
                _ => [],
            };
            foreach (var patientId in PatientsOf(entry, model))
            {
                if (!groups.TryGetValue((patientId, action, model), out var group))
                {
                    groups[(patientId, action, model)] = group = new Group();
                }

                group.Keys.Add(key);
                group.Fields.UnionWith(fields);
                group.Authors.Add(model.EntityType is var type && runtime.Enforcement?.AuthorProperty(type) is { } author
                    ? EncryptedEntityModel.FormatValue(entry.Property(author.Name).CurrentValue)
                    : null);
            }
        }

        if (groups.Count == 0)
        {
            return;
        }

        var access = AuditRuntime.RequireContext("SaveChanges");
        Reading.ReadSession.For(context).Admit(context, runtime, access);
        var fingerprint = AuditRuntime.Fingerprint("SaveChanges");
        if (runtime.Enforcement is { } enforcement)
        {
            Enforce(context, runtime, enforcement, access, groups, fingerprint);
        }

        var entries = new List<AuditEntry>(groups.Count);
        foreach (var ((patientId, action, model), group) in groups)
        {
            var record = runtime.NewEntry(access, action, model.Name, patientId);
            record.Categories = model.Category;
            record.Labels = string.Join(AuditEntry.ListSeparator, model.Labels);
            record.Fields = string.Join(AuditEntry.ListSeparator, group.Fields.Order(StringComparer.Ordinal));
            record.RecordKeys = string.Join(AuditEntry.ListSeparator, group.Keys);
            record.RowCount = group.Keys.Count;
            record.QueryFingerprint = fingerprint;
            record.Decision = group.Decision;
            entries.Add(record);
        }

        if (context.Database.AutoTransactionBehavior == AutoTransactionBehavior.Never)
        {
            throw new InvalidOperationException(
                "AutoTransactionBehavior is Never, so SaveChanges would write PHI and its audit records without a transaction. Use WhenNeeded or Always, or begin a transaction around SaveChanges.");
        }

        context.AddRange(entries);
    }

    /// <summary>The patient(s) a change belongs to: a change of patient id is recorded for both patients.</summary>
    private static IEnumerable<string?> PatientsOf(EntityEntry entry, PhiEntityModel model)
    {
        if (model.PatientId is null)
        {
            yield return null;
            yield break;
        }

        var property = entry.Property(model.PatientId.Name);
        var current = EncryptedEntityModel.FormatValue(property.CurrentValue);
        yield return current;
        if (entry.State == EntityState.Modified && property.IsModified)
        {
            var original = EncryptedEntityModel.FormatValue(property.OriginalValue);
            if (original != current)
            {
                yield return original;
            }
        }
    }

    private static string[] ModifiedFields(EntityEntry entry) =>
        [.. entry.Properties
            .Where(p => p.IsModified && !p.Metadata.Name.StartsWith(EncryptionAnnotations.BlindIndexPrefix, StringComparison.Ordinal))
            .Select(p => PhiEntityModel.MemberName(p.Metadata.Name))];

    /// <summary>Stops tracking the audit rows once SaveChanges has finished, so they never accumulate in a long-lived context.</summary>
    private static void Release(DbContext? context)
    {
        if (context is null || HipaaContext.Audit(context) is null)
        {
            return;
        }

        foreach (var entry in context.ChangeTracker.Entries<AuditEntry>().ToList())
        {
            entry.State = EntityState.Detached;
        }
    }

    /// <summary>
    /// Decides every write with the policy engine before anything reaches the database. A denial is recorded (through the
    /// audit writer, since this SaveChanges will not commit) and refused with <see cref="PhiAccessDeniedException"/>.
    /// </summary>
    private static void Enforce(
        DbContext context,
        AuditRuntime runtime,
        PolicyEnforcementRuntime enforcement,
        AccessContext access,
        Dictionary<(string? PatientId, AuditAction Action, PhiEntityModel Model), Group> groups,
        string fingerprint)
    {
        foreach (var ((patientId, action, model), group) in groups)
        {
            var phiAction = action switch
            {
                AuditAction.Create => PhiAction.Create,
                AuditAction.Update => PhiAction.Update,
                _ => PhiAction.Delete,
            };
            foreach (var author in group.Authors.Distinct())
            {
                var decision = enforcement.Decide(context, access, model, patientId, author, phiAction);
                group.Decision ??= AuditRuntime.Describe(decision);
                if (decision.IsPermitted)
                {
                    continue;
                }

                var denied = runtime.NewEntry(access, action, model.Name, patientId);
                denied.Outcome = AuditOutcome.Denied;
                denied.Categories = model.Category;
                denied.Labels = string.Join(AuditEntry.ListSeparator, model.Labels);
                denied.RecordKeys = string.Join(AuditEntry.ListSeparator, group.Keys);
                denied.RowCount = group.Keys.Count;
                denied.QueryFingerprint = fingerprint;
                denied.Decision = AuditRuntime.Describe(decision);
                runtime.Writer.Append([denied]);
                throw new PhiAccessDeniedException(decision, $"{action} of {model.Category} for patient {patientId}");
            }
        }
    }

    private sealed class Group
    {
        public List<string> Keys { get; } = [];

        public HashSet<string> Fields { get; } = new(StringComparer.Ordinal);

        public List<string?> Authors { get; } = [];

        public string? Decision { get; set; }
    }
}
