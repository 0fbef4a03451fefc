using Hipaa.Auditing;
using Hipaa.Cli.Inventory;
using Hipaa.Encryption;

namespace Hipaa.Cli.Breach;

/// <summary>
/// Decides, from the audit trail, the key table and the application's model, which patients a compromise exposed and which of
/// their PHI is unsecured (45 CFR 164.402). Pure: no I/O. docs/compliance-tools.md states the rules per kind of compromise.
/// </summary>
internal static class BreachAssessor
{
    /// <summary>The entity name of the trail's records about itself (reports, exports), which hold no PHI.</summary>
    public const string AuditLogEntity = "hipaa_audit";

    public static BreachAssessment Assess(
        BreachTarget target,
        TrailStatus trail,
        DateOnly discovered,
        IReadOnlyList<AuditRecord> records,
        IReadOnlyList<DataKeyRecord> keys,
        IReadOnlyList<ModelInventory> models)
    {
        ArgumentNullException.ThrowIfNull(target);
        var entities = new Dictionary<string, EntityInventory>(StringComparer.Ordinal);
        foreach (EntityInventory entity in models.SelectMany(m => m.Entities))
        {
            entities.TryAdd(entity.Name, entity);
        }

        var scopes = new KeyScopeStates(keys);
        var compromised = new List<CompromisedKey>();
        HashSet<string> compromisedScopes = new(StringComparer.Ordinal);
        if (target.Kind == BreachTargetKind.Key)
        {
            foreach (DataKeyRecord key in CompromisedBy(target.KeyId!.Value, keys))
            {
                compromised.Add(new CompromisedKey(key.Id, key.Kind.ToString(), key.Scope, key.Version, key.State.ToString(), key.DestroyedAt));
                if (key.Kind == DataKeyKind.Data)
                {
                    compromisedScopes.Add(key.Scope);
                }
                else if (key.Kind == DataKeyKind.Index && key.Scope.StartsWith("index:", StringComparison.Ordinal))
                {
                    compromisedScopes.Add(key.Scope);
                }
            }
        }

        var notes = new List<string>();
        var patients = new Dictionary<string, PatientBuilder>(StringComparer.Ordinal);
        int unattributed = 0;
        var unattributedEntities = new SortedSet<string>(StringComparer.Ordinal);
        foreach (AuditRecord record in records)
        {
            if (record.Entity == AuditLogEntity || !Counts(target, record))
            {
                continue;
            }

            IReadOnlyList<string> ids = record.PatientIds.Count > 0 ? record.PatientIds : record.PatientId is { } one ? [one] : [];
            if (ids.Count == 0)
            {
                if (record.Outcome == AuditOutcome.Success)
                {
                    unattributed++;
                    unattributedEntities.Add(record.Entity);
                }

                continue;
            }

            entities.TryGetValue(record.Entity, out EntityInventory? entity);
            bool read = record.Action is AuditAction.Read or AuditAction.Disclose or AuditAction.Export;
            foreach (string id in ids)
            {
                if (!patients.TryGetValue(id, out PatientBuilder? patient))
                {
                    patients[id] = patient = new PatientBuilder(id);
                }

                if (record.Outcome != AuditOutcome.Success)
                {
                    patient.Denied++;
                    continue;
                }

                patient.Touch(record, read);
                string category = record.Categories.Count > 0 ? record.Categories[0] : entity?.Category ?? "(unknown)";
                IEnumerable<string> fields = read ? record.Fields.Except(record.RedactedFields, StringComparer.Ordinal) : record.Fields;
                foreach (string field in fields)
                {
                    PropertyInventory? property = entity?.Find(field);
                    if (property?.Role is not null)
                    {
                        continue; // row keys, patient and author ids: identifying only with the values classified on their own
                    }

                    FieldExposure? exposure = Classify(target, entity, property, id, record.Entity, field, category, read, scopes, compromisedScopes);
                    if (exposure is not null)
                    {
                        patient.Add(exposure);
                    }
                }
            }
        }

        List<PatientExposure> built = [.. patients.Values.Select(p => p.Build())];
        List<PatientExposure> listed = [.. built
            .Where(p => p.NotificationRequired || (target.Kind == BreachTargetKind.User && (p.Writes > 0 || p.DeniedAttempts > 0)))
            .OrderByDescending(p => p.NotificationRequired)
            .ThenBy(p => p.PatientId, StringComparer.Ordinal)];
        List<string> safe = [.. built
            .Where(p => !listed.Contains(p) && p.Fields.Count > 0 && p.Fields.All(f => f.Protection == FieldProtection.SafeHarbor))
            .Select(p => p.PatientId)
            .Order(StringComparer.Ordinal)];

        if (models.Count == 0)
        {
            notes.Add("No --assembly was given, so the tool does not know which fields the SDK encrypts: every field reached is counted as unsecured.");
        }

        if (target.Kind == BreachTargetKind.Key)
        {
            notes.Add("A compromised data key exposes its values only to whoever also holds their ciphertext (a database dump or backup); the tool does not read the application's rows, so it counts every encrypted value of the key's scope that the trail shows, whichever version of the scope's key encrypted it.");
            if (compromised.Any(k => k.Kind == nameof(DataKeyKind.Index)))
            {
                notes.Add("A blind-index key does not decrypt anything, but with it the indexed values can be confirmed by guessing (an MRN, a date of birth): its column is counted as unsecured.");
            }

            if (compromised.Any(k => k.State == nameof(DataKeyState.Destroyed)))
            {
                notes.Add("A compromised key that was shredded since still exposes what it encrypted to anyone who obtained it, and the ciphertext, before it was shredded.");
            }
        }
        else if (target.Kind == BreachTargetKind.Window)
        {
            notes.Add("A database dump taken in the window holds every row, not only the records accessed in it: the trail names those accessed; treat the rest of the database by the same classification (docs/compliance-tools.md).");
            notes.Add("Encrypted fields are counted under the safe harbor on the premise that the key-encryption key and the data keys were not compromised too; if they were, assess the keys with --key.");
        }
        else
        {
            notes.Add("Everything the account read through the application was decrypted for it: encryption at rest gives no safe harbor for it.");
        }

        if (unattributed > 0)
        {
            notes.Add($"{unattributed} access(es) counted name no patient (aggregates, raw SQL or projections kept in SQL over {string.Join(", ", unattributedEntities)}): the trail cannot say whose PHI they returned; review them by hand.");
        }

        if (trail.UnsealedRecords > 0)
        {
            notes.Add($"{trail.UnsealedRecords} record(s) were not yet sealed into the chain and are not tamper-evident; they are included.");
        }

        return new BreachAssessment(target, trail, discovered, listed, safe, compromised, unattributed, [.. unattributedEntities], notes);
    }

    /// <summary>The key given and, for an intermediate key, every key it wraps; refuses an id that is not in the key table.</summary>
    public static IReadOnlyList<DataKeyRecord> CompromisedBy(Guid keyId, IReadOnlyList<DataKeyRecord> keys)
    {
        DataKeyRecord key = keys.FirstOrDefault(k => k.Id == keyId)
            ?? throw new ArgumentException($"The key table has no key with id {keyId}; list the keys with their ids in the key store's hipaa_keys table.", nameof(keyId));
        if (key.Kind != DataKeyKind.Intermediate)
        {
            return [key];
        }

        string id = key.Id.ToString("D");
        return [key, .. keys.Where(k => k.Kind != DataKeyKind.Intermediate && string.Equals(k.WrappedBy, id, StringComparison.OrdinalIgnoreCase))];
    }

    private static bool Counts(BreachTarget target, AuditRecord record) => target.Kind switch
    {
        BreachTargetKind.User => string.Equals(record.ActorId, target.UserId, StringComparison.Ordinal) && InWindow(target, record),
        BreachTargetKind.Window => InWindow(target, record),
        _ => true,
    };

    private static bool InWindow(BreachTarget target, AuditRecord record) =>
        (target.From is not { } from || record.OccurredAt >= from) && (target.To is not { } to || record.OccurredAt <= to);

    private static FieldExposure? Classify(
        BreachTarget target,
        EntityInventory? entity,
        PropertyInventory? property,
        string patientId,
        string entityName,
        string field,
        string category,
        bool read,
        KeyScopeStates scopes,
        HashSet<string> compromisedScopes)
    {
        bool? encrypted = entity is null ? null : property?.Encrypted ?? false;
        string? scope = encrypted == true ? scopes.EffectiveScope(property!, patientId) : null;
        FieldExposure Make(FieldProtection protection, string reason) => new(entityName, field, category, encrypted, scope, protection, reason);

        if (!read && target.Kind == BreachTargetKind.User)
        {
            return Make(FieldProtection.Written, "Written by the compromised account: review the value for integrity.");
        }

        switch (target.Kind)
        {
            case BreachTargetKind.User:
                return Make(FieldProtection.Unsecured, encrypted switch
                {
                    true => "Read by the compromised account through the application, which decrypted it: not safe harbor.",
                    false => "Read by the compromised account; stored in plaintext.",
                    _ => "Read by the compromised account.",
                });
            case BreachTargetKind.Key:
                if (encrypted is null)
                {
                    return Make(FieldProtection.Unsecured, "The tool does not know whether this field is encrypted or under which key (no model for the entity): assumed exposed.");
                }

                if (encrypted == false)
                {
                    return null; // a key compromise does not change what plaintext fields expose
                }

                if (compromisedScopes.Contains(scope!))
                {
                    return Make(FieldProtection.Unsecured, $"Encrypted under a compromised key (scope {scope}): NOT safe harbor.");
                }

                if (property!.ColumnScope is { } column && compromisedScopes.Contains("index:" + column["column:".Length..]))
                {
                    return Make(FieldProtection.Unsecured, $"Its blind-index key ({"index:" + column["column:".Length..]}) is compromised: the value can be confirmed by guessing; NOT safe harbor.");
                }

                return Make(FieldProtection.SafeHarbor, $"Encrypted under a key that was not compromised (scope {scope}): safe harbor.");
            default:
                return encrypted switch
                {
                    true when scopes.IsShredded(scope!) => Make(FieldProtection.SafeHarbor, $"Encrypted; the key of scope {scope} has been shredded since: unreadable by anyone."),
                    true => Make(FieldProtection.SafeHarbor, $"Encrypted by the SDK under scope {scope}: safe harbor, provided the keys were not compromised too."),
                    false => Make(FieldProtection.Unsecured, "Stored in plaintext (not encrypted by the SDK): NOT safe harbor."),
                    _ => Make(FieldProtection.Unsecured, "The tool does not know whether this field is encrypted (no model for the entity): assumed exposed."),
                };
        }
    }
}
