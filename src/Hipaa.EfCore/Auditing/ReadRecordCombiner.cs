namespace Hipaa.EfCore.Auditing;

/// <summary>
/// Turns the per-patient read records of one commit (a read-ahead batch, a query's records) into one record per access:
/// records that differ only in their patient, record keys and row count — same actor, purpose, entity, fields, outcome,
/// decision, query — become one record naming every patient in <see cref="AuditEntry.PatientIds"/> (at most
/// <see cref="MaxPatientsPerRecord"/> each). A 100-patient page is then one row to insert and seal instead of 100; who
/// accessed each patient stays answerable through the per-patient index the sealer writes (docs/audit.md, "One record per
/// access"). Records of one patient stay as they are (<see cref="AuditEntry.PatientId"/>); unattributed records are kept apart,
/// and so is the record of a patient whose id a list could not carry unchanged (<see cref="FitsInAList"/>).
/// </summary>
internal static class ReadRecordCombiner
{
    /// <summary>The most patients one record names; a larger group is split into several records.</summary>
    public const int MaxPatientsPerRecord = 1_000;

    public static IReadOnlyList<AuditEntry> Combine(IReadOnlyList<AuditEntry> entries)
    {
        if (entries.Count < 2)
        {
            return entries;
        }

        var groups = new Dictionary<Key, List<AuditEntry>>();
        var order = new List<object>(entries.Count); // each item: an entry kept as is, or the key of its group
        foreach (var entry in entries)
        {
            if (entry.PatientId is null || entry.PatientIds.Length > 0 || !FitsInAList(entry.PatientId))
            {
                order.Add(entry);
                continue;
            }

            var key = new Key(entry);
            if (!groups.TryGetValue(key, out var members))
            {
                groups.Add(key, members = []);
                order.Add(key);
            }

            members.Add(entry);
        }

        if (groups.Count == entries.Count - (order.Count - groups.Count))
        {
            return entries; // no two records share a group
        }

        var combined = new List<AuditEntry>(order.Count);
        foreach (var item in order)
        {
            if (item is AuditEntry single)
            {
                combined.Add(single);
                continue;
            }

            var members = groups[(Key)item];
            if (members.Count == 1)
            {
                combined.Add(members[0]);
                continue;
            }

            AddCombined(combined, members);
        }

        return combined;
    }

    private static void AddCombined(List<AuditEntry> output, List<AuditEntry> members)
    {
        // Members of one patient merge into that patient's first record; patients are kept in first-read order.
        var byPatient = new Dictionary<string, AuditEntry>(StringComparer.Ordinal);
        var patients = new List<AuditEntry>();
        foreach (var member in members)
        {
            if (byPatient.TryGetValue(member.PatientId!, out var first))
            {
                first.RowCount += member.RowCount;
                first.RecordKeys = Concat(first.RecordKeys, member.RecordKeys);
                continue;
            }

            byPatient.Add(member.PatientId!, member);
            patients.Add(member);
        }

        for (var offset = 0; offset < patients.Count; offset += MaxPatientsPerRecord)
        {
            var count = Math.Min(MaxPatientsPerRecord, patients.Count - offset);
            var head = patients[offset];
            if (count == 1)
            {
                output.Add(head);
                continue;
            }

            var slice = patients.GetRange(offset, count);
            head.PatientIds = string.Join(AuditEntry.ListSeparator, slice.Select(p => p.PatientId));
            head.PatientId = null;
            head.RowCount = slice.Sum(p => p.RowCount);
            head.RecordKeys = string.Join(AuditEntry.ListSeparator, slice.Select(p => p.RecordKeys).Where(k => k.Length > 0));
            head.OccurredAt = slice.Min(p => p.OccurredAt);
            output.Add(head);
        }
    }

    /// <summary>
    /// Whether <paramref name="patientId"/> comes back unchanged from a patient list and fits its index row: an id holding
    /// the separator would be split into other patients' ids — by the sealer's index and the who-accessed report alike —
    /// and one longer than the index's <c>patient_id</c> column (<see cref="AuditModel.PatientIdMaxLength"/>, enforced by
    /// PostgreSQL) would make every seal fail on its index row, so that nothing is sealed again. Such a record keeps the id
    /// in <see cref="AuditEntry.PatientId"/>: a separator is harmless there, and an id too long for that column fails its
    /// read closed, as it always did for one patient.
    /// </summary>
    private static bool FitsInAList(string patientId) =>
        patientId.Length <= AuditModel.PatientIdMaxLength && !patientId.Contains(AuditEntry.ListSeparator, StringComparison.Ordinal);

    private static string Concat(string a, string b) => a.Length == 0 ? b : b.Length == 0 ? a : a + AuditEntry.ListSeparator + b;

    /// <summary>Everything of a read record but its patient, record keys, row count, id and time.</summary>
    private readonly record struct Key(
        string ActorId,
        string ActorRoles,
        string? ClientApplication,
        Hipaa.Auditing.AuditAction Action,
        string Entity,
        string Categories,
        string Labels,
        string Fields,
        string RedactedFields,
        string PurposeOfUse,
        Hipaa.Auditing.AuditOutcome Outcome,
        string? ClientAddress,
        string? RequestId,
        string? BreakGlassReason,
        string? Recipient,
        string? Description,
        string? QueryFingerprint,
        string? Decision)
    {
        public Key(AuditEntry e)
            : this(e.ActorId, e.ActorRoles, e.ClientApplication, e.Action, e.Entity, e.Categories, e.Labels, e.Fields, e.RedactedFields, e.PurposeOfUse, e.Outcome, e.ClientAddress, e.RequestId, e.BreakGlassReason, e.Recipient, e.Description, e.QueryFingerprint, e.Decision)
        {
        }
    }
}
