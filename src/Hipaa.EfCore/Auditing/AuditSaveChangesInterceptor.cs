using Hipaa.Auditing;
using Hipaa.EfCore.Encryption;
using Hipaa.EfCore.Enforcement;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Metadata;

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
        var tracked = context.ChangeTracker.Entries().ToList();
        List<EntityEntry>? owned = null;
        foreach (var entry in tracked)
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

            var action = ActionOf(entry.State);
            if (action == 0)
            {
                continue;
            }

            if (entry.Metadata.IsOwned() && runtime.GetModel(RootOwner(entry.Metadata)) is not null)
            {
                // A change to an owned entity (OwnsOne, OwnsMany) is a change to its PHI owner: recorded below, once
                // every tracked owner can be looked up.
                (owned ??= []).Add(entry);
                continue;
            }

            if (runtime.GetModel(entry.Metadata) is not { } model)
            {
                continue;
            }

            var fields = action switch
            {
                AuditAction.Create => model.Fields,
                AuditAction.Update => ModifiedFields(entry, prefix: null),
                _ => [],
            };
            Add(groups, runtime, entry, model, action, fields);
        }

        if (owned is not null)
        {
            CaptureOwned(runtime, tracked, owned, groups);
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

    private static AuditAction ActionOf(EntityState state) => state switch
    {
        EntityState.Added => AuditAction.Create,
        EntityState.Modified => AuditAction.Update,
        EntityState.Deleted => AuditAction.Delete,
        _ => (AuditAction)0,
    };

    /// <summary>Adds one changed entity (or the owner of a changed owned entity) to the records of its patient(s).</summary>
    private static void Add(
        Dictionary<(string? PatientId, AuditAction Action, PhiEntityModel Model), Group> groups,
        AuditRuntime runtime,
        EntityEntry entry,
        PhiEntityModel model,
        AuditAction action,
        IEnumerable<string> fields)
    {
        var key = EncryptedEntityModel.FormatRow(model.KeyProperties.Select(k => entry.Property(k.Name).CurrentValue).ToArray());
        foreach (var patientId in PatientsOf(entry, model))
        {
            var group = GroupOf(groups, (patientId, action, model));
            if (group.AddKey(key))
            {
                group.Authors.Add(model.EntityType is var type && runtime.Enforcement?.AuthorProperty(type) is { } author
                    ? EncryptedEntityModel.FormatValue(entry.Property(author.Name).CurrentValue)
                    : null);
            }

            group.Fields.UnionWith(fields);
        }
    }

    private static Group GroupOf(Dictionary<(string? PatientId, AuditAction Action, PhiEntityModel Model), Group> groups, (string? PatientId, AuditAction Action, PhiEntityModel Model) key)
    {
        if (!groups.TryGetValue(key, out var group))
        {
            groups[key] = group = new Group();
        }

        return group;
    }

    /// <summary>
    /// Records each changed owned entity as a change of its (outermost) owner: an Update of the owner — or part of the
    /// owner's Create or Delete when the owner itself is added or deleted — for the owner's patient, naming the owned
    /// fields by their path (<c>Home.Street</c>). An added or removed owned entity names all of its fields.
    /// </summary>
    private static void CaptureOwned(
        AuditRuntime runtime,
        List<EntityEntry> tracked,
        List<EntityEntry> owned,
        Dictionary<(string? PatientId, AuditAction Action, PhiEntityModel Model), Group> groups)
    {
        var principals = new HashSet<IEntityType>();
        foreach (var entry in owned)
        {
            for (var type = entry.Metadata; type.FindOwnership() is { } ownership; type = ownership.PrincipalEntityType)
            {
                principals.Add(ownership.PrincipalEntityType.GetRootType());
            }
        }

        var index = new Dictionary<(IEntityType Type, string Key), EntityEntry>();
        foreach (var entry in tracked)
        {
            var root = entry.Metadata.GetRootType();
            if (principals.Contains(root) && entry.Metadata.FindPrimaryKey() is { } primaryKey)
            {
                index.TryAdd((root, KeyOf(entry, primaryKey.Properties)), entry);
            }
        }

        foreach (var entry in owned)
        {
            var path = new Stack<string>();
            EntityEntry? owner = entry;
            string? ownerKey = null;
            while (owner is not null && owner.Metadata.FindOwnership() is { } ownership)
            {
                path.Push(ownership.PrincipalToDependent!.Name);
                ownerKey = KeyOf(owner, ownership.Properties);
                owner = index.GetValueOrDefault((ownership.PrincipalEntityType.GetRootType(), ownerKey));
            }

            var prefix = string.Join('.', path);
            var fields = entry.State == EntityState.Modified ? ModifiedFields(entry, prefix) : AllFields(entry, prefix);
            if (owner is null || runtime.GetModel(owner.Metadata) is not { } model)
            {
                // EF Core tracks an owned entity only with its owner, so this is not expected; should it happen, the change
                // is still recorded, unattributed, rather than dropped.
                var group = GroupOf(groups, (null, AuditAction.Update, runtime.GetModel(RootOwner(entry.Metadata))!));
                if (group.AddKey(ownerKey!))
                {
                    group.Authors.Add(null);
                }

                group.Fields.UnionWith(fields);
                continue;
            }

            var action = owner.State switch
            {
                EntityState.Added => AuditAction.Create,
                EntityState.Deleted => AuditAction.Delete,
                _ => AuditAction.Update,
            };
            Add(groups, runtime, owner, model, action, action == AuditAction.Delete ? [] : fields);
        }
    }

    /// <summary>The outermost owner's entity type of an owned entity type.</summary>
    private static IEntityType RootOwner(IEntityType type)
    {
        while (type.FindOwnership() is { } ownership)
        {
            type = ownership.PrincipalEntityType;
        }

        return type;
    }

    private static string KeyOf(EntityEntry entry, IReadOnlyList<IProperty> properties)
    {
        var values = new object?[properties.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = entry.Property(properties[i].Name).CurrentValue;
        }

        return EncryptedEntityModel.FormatRow(values);
    }

    /// <summary>The fields of an added or removed owned entity: its properties, without the key EF Core keeps in shadow state.</summary>
    private static string[] AllFields(EntityEntry entry, string prefix)
    {
        var ownership = entry.Metadata.FindOwnership()!;
        return [.. entry.Metadata.GetProperties()
            .Where(p => !ownership.Properties.Contains(p) && !(p.IsShadowProperty() && p.IsKey()))
            .Where(p => !p.Name.StartsWith(EncryptionAnnotations.BlindIndexPrefix, StringComparison.Ordinal))
            .Select(p => prefix + "." + PhiEntityModel.MemberName(p.Name))];
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

    private static string[] ModifiedFields(EntityEntry entry, string? prefix) =>
        [.. entry.Properties
            .Where(p => p.IsModified && !p.Metadata.Name.StartsWith(EncryptionAnnotations.BlindIndexPrefix, StringComparison.Ordinal))
            .Select(p => prefix is null ? PhiEntityModel.MemberName(p.Metadata.Name) : prefix + "." + PhiEntityModel.MemberName(p.Metadata.Name))];

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
        private readonly HashSet<string> _keys = new(StringComparer.Ordinal);

        /// <summary>The keys of the rows changed, each once (an owner and its owned entities are one row).</summary>
        public List<string> Keys { get; } = [];

        public HashSet<string> Fields { get; } = new(StringComparer.Ordinal);

        public List<string?> Authors { get; } = [];

        public string? Decision { get; set; }

        public bool AddKey(string key)
        {
            if (!_keys.Add(key))
            {
                return false;
            }

            Keys.Add(key);
            return true;
        }
    }
}
