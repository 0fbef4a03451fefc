using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Auditing.Sql;
using Hipaa.EfCore.Encryption;
using Hipaa.EfCore.Reading;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hipaa.EfCore.Enforcement;

/// <summary>
/// Decides, before it runs, a query over PHI tables whose values do not pass through entities (an aggregate, a projection
/// kept in SQL, <c>SqlQuery</c>, a database-values reload): SQL computes those values, so they can be neither decided row
/// by row nor redacted afterwards. A query pinned to patients by its predicate is decided for each of them; any other is
/// decided for a patient the actor has no relationship with (<see cref="UnattributedReadHandling"/>). A refusal is
/// recorded as a denied read and committed before <see cref="PhiAccessDeniedException"/> is thrown; nothing ran.
/// </summary>
internal static class UnattributedReadPolicy
{
    /// <summary>A patient id no application uses: the "any patient" of a decision for a query over many.</summary>
    private const string AnyPatient = "\u001Fhipaa-any-patient";

    public static void Enforce(DbContext context, AuditRuntime runtime, PolicyEnforcementRuntime enforcement, ReadSession session, AccessContext access, AuditedCommand command, string sql)
    {
        var models = Deciding(command.Tables, command.TouchedModels, sql);
        if (session.Pins.TryPeek(out var pin) && pin.PatientIds.Count > 0 && command.Tables.All(t => t.Table == pin.Model.Table && t.Schema == pin.Model.Schema))
        {
            foreach (var patientId in pin.PatientIds)
            {
                foreach (var model in models)
                {
                    var decision = enforcement.Decide(context, access, model, patientId, authorId: null, PhiAction.Read);
                    Check(context, runtime, access, command, model, patientId, decision, sql);
                }
            }

            return;
        }

        EnforceForAnyPatient(context, runtime, enforcement, access, command, models, sql);
    }

    /// <summary>
    /// Decides a read of <paramref name="models"/>' rows whose values SQL computes, for any patient (not pinned): also the
    /// PHI tables a bulk write reads without writing them (<see cref="BulkWritePolicy"/>).
    /// </summary>
    public static void EnforceForAnyPatient(DbContext context, AuditRuntime runtime, PolicyEnforcementRuntime enforcement, AccessContext access, AuditedCommand command, IReadOnlyList<PhiEntityModel> models, string sql)
    {
        foreach (var model in models)
        {
            var decision = ForAnyPatient(enforcement, access, model, PhiAction.Read);
            if (!decision.IsPermitted && enforcement.UnattributedReads == UnattributedReadHandling.RequireRolePermit)
            {
                decision = ForSomePatient(enforcement, access, model, PhiAction.Read);
            }

            Check(context, runtime, access, command, model, patientId: null, decision, sql);
        }
    }

    /// <summary>
    /// Decides a read of <paramref name="patientId"/>'s rows of <paramref name="model"/> whose values SQL computed (a row of
    /// a query grouped by patient, <see cref="PatientGroupRead"/>): refused, after the refusal is recorded, when the policy
    /// denies it or masks a field <paramref name="sql"/> names; otherwise the decision is returned.
    /// </summary>
    /// <exception cref="PhiAccessDeniedException">The read is refused.</exception>
    public static AccessDecision EnforceForPatient(DbContext context, AuditRuntime runtime, PolicyEnforcementRuntime enforcement, AccessContext access, AuditedCommand? command, PhiEntityModel model, string? patientId, string sql)
    {
        var decision = enforcement.Decide(context, access, model, patientId, authorId: null, PhiAction.Read);
        Check(context, runtime, access, command, model, patientId, decision, sql);
        return decision;
    }

    /// <summary>
    /// The PHI entity types the command's values may come from, each decided: of every table it touches, the entity type
    /// mapped to it — or, when several share the table (inheritance, table splitting: appointments and progress notes in
    /// one table), each of them whose value columns the command names, and all of them when it names none of their own
    /// (<c>*</c>, only keys and patient ids): the rows it reads may be of any of them.
    /// </summary>
    public static List<PhiEntityModel> Deciding(IReadOnlyList<PhiEntityModel> tables, IReadOnlyList<PhiEntityModel> touchedModels, string sql)
    {
        var deciding = new List<PhiEntityModel>();
        foreach (var table in tables)
        {
            var mates = touchedModels.Where(m => m.Table == table.Table && m.Schema == table.Schema).ToList();
            if (mates.Count <= 1)
            {
                deciding.Add(mates.Count == 0 ? table : mates[0]);
                continue;
            }

            var named = sql.Contains('*', StringComparison.Ordinal) ? [] : mates.Where(m => ValueColumns(m).Any(c => Names(sql, c.Column))).ToList();
            deciding.AddRange(named.Count == 0 ? mates : named);
        }

        return deciding;
    }

    private static void Check(DbContext context, AuditRuntime runtime, AccessContext access, AuditedCommand? command, PhiEntityModel model, string? patientId, AccessDecision decision, string sql)
    {
        var whose = patientId is null ? "of any patient" : "of patient " + patientId;
        if (!decision.IsPermitted)
        {
            Record(context, runtime, access, command, model, patientId, decision, withheld: null);
            throw new PhiAccessDeniedException(
                decision,
                $"A query computing {model.Category} {whose} in SQL (an aggregate, a projection kept in SQL or raw SQL: its values cannot be decided row by row or redacted)");
        }

        if (decision.FieldMask is { } mask && MaskedColumnsNamed(model, mask, sql, context.Database.ProviderName) is { Count: > 0 } masked)
        {
            Record(context, runtime, access, command, model, patientId, decision, masked);
            throw new PhiAccessDeniedException(
                $"A query computing {model.Category} {whose} in SQL names {string.Join(", ", masked)}, which the policy masks for this actor ({AuditRuntime.Describe(decision)}); SQL-computed values cannot be redacted, so the query was refused. Query entities, or select only the visible fields.");
        }
    }

    /// <summary>The policy's answer for a record of a patient the actor has no relationship with, no consent on file, written by someone else.</summary>
    public static AccessDecision ForAnyPatient(PolicyEnforcementRuntime enforcement, AccessContext access, PhiEntityModel model, PhiAction action) =>
        enforcement.DecideWithout(access, access.Actor, model, AnyPatient, authorId: null, action);

    /// <summary>The policy's answer for the most favourable record: a patient on the actor's care team, written by the actor.</summary>
    public static AccessDecision ForSomePatient(PolicyEnforcementRuntime enforcement, AccessContext access, PhiEntityModel model, PhiAction action)
    {
        var actor = access.Actor;
        var treating = new Actor(actor.Id, actor.Roles, actor.Organization, [.. actor.CareTeamOf, AnyPatient], actor.IsShared);
        return enforcement.DecideWithout(access, treating, model, AnyPatient, authorId: actor.Id, action);
    }

    /// <summary>
    /// The masked fields whose columns the command names (a <c>*</c> names them all). Keys, the patient id and foreign keys
    /// are never masked (<see cref="EntityRedactor"/>); an encrypted field counts through its ciphertext and blind-index columns.
    /// </summary>
    private static List<string> MaskedColumnsNamed(PhiEntityModel model, FieldMask mask, string sql, string? providerName)
    {
        var masked = new List<string>();
        var wholeRow = SqlDialect.For(providerName) == SqlDialect.PostgreSql && ReadsWholeRows(model, sql);
        foreach (var (member, column) in ValueColumns(model))
        {
            if (mask.IsVisible(member) || masked.Contains(member))
            {
                continue;
            }

            if (wholeRow || sql.Contains('*', StringComparison.Ordinal) || Names(sql, column))
            {
                masked.Add(member);
            }
        }

        return masked;
    }

    /// <summary>
    /// Whether a PostgreSQL command uses a row of <paramref name="model"/>'s table as a value — <c>SELECT f::text</c>,
    /// <c>to_jsonb(f)</c>, <c>SELECT "Findings" FROM "Findings"</c> — which carries every column without naming one: the
    /// table's name or an alias given to it in a <c>FROM</c> or <c>JOIN</c>, anywhere but there and before a <c>.</c>.
    /// </summary>
    private static bool ReadsWholeRows(PhiEntityModel model, string sql)
    {
        var dialect = SqlDialect.PostgreSql;
        var tokens = SqlTokenizer.Tokenize(sql, dialect).Tokens;
        var names = new List<string>();
        var definitions = new HashSet<int>();
        var inFrom = new Stack<bool>();
        var from = false;
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (token.Is('('))
            {
                inFrom.Push(from);
                from = false;
            }
            else if (token.Is(')'))
            {
                from = inFrom.Count > 0 && inFrom.Pop();
            }
            else if (token.Is("FROM") || token.Is("JOIN"))
            {
                from = true;
            }
            else if (token.Kind == SqlTokenKind.Word && ClauseEnds.Contains(token.Value))
            {
                from = false;
            }
            else if (from && token.IsIdentifier && dialect.SameName(token.Value, token.Kind == SqlTokenKind.QuotedIdentifier, model.Table)
                && !(i + 1 < tokens.Count && tokens[i + 1].Is('.')))
            {
                // The table in a FROM list (possibly schema-qualified), and the alias after it.
                definitions.Add(i);
                names.Add(token.Value);
                var alias = i + 1 < tokens.Count && tokens[i + 1].Is("AS") ? i + 2 : i + 1;
                if (alias < tokens.Count && tokens[alias].IsIdentifier && !(tokens[alias].Kind == SqlTokenKind.Word && NotAliases.Contains(tokens[alias].Value)))
                {
                    definitions.Add(alias);
                    names.Add(tokens[alias].Value);
                }
            }
        }

        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (!token.IsIdentifier || definitions.Contains(i) || (i + 1 < tokens.Count && tokens[i + 1].Is('.')) || (i > 0 && tokens[i - 1].Is('.')))
            {
                continue;
            }

            // Any case: a coincidence refuses (fails closed), never lets a row through.
            if (names.Exists(name => string.Equals(token.Value, name, StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Keywords that end a FROM list.</summary>
    private static readonly HashSet<string> ClauseEnds = new(StringComparer.OrdinalIgnoreCase)
    {
        "SELECT", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "WINDOW", "UNION", "INTERSECT", "EXCEPT", "RETURNING", "SET", "VALUES", "ON", "USING", "FETCH", "FOR",
    };

    /// <summary>Keywords that can follow a table in a FROM list without being its alias.</summary>
    private static readonly HashSet<string> NotAliases = new(StringComparer.OrdinalIgnoreCase)
    {
        "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "WINDOW", "UNION", "INTERSECT", "EXCEPT", "RETURNING", "ON", "USING", "JOIN", "INNER",
        "LEFT", "RIGHT", "FULL", "CROSS", "NATURAL", "LATERAL", "FETCH", "FOR", "TABLESAMPLE",
    };

    /// <summary>
    /// The columns of <paramref name="model"/>'s table that hold its values, with the member each belongs to: every property
    /// but the keys, the patient id, foreign keys and the discriminator (which the redaction keeps too), and the columns
    /// of the owned types kept in the same table (<c>Detail_Comment</c> belongs to the member <c>Detail</c>), nested ones
    /// and JSON columns included.
    /// </summary>
    private static IEnumerable<(string Member, string Column)> ValueColumns(PhiEntityModel model)
    {
        var entityType = model.EntityType;
        var table = StoreObjectIdentifier.Table(model.Table, model.Schema);
        var discriminator = entityType.FindDiscriminatorProperty();
        foreach (var property in entityType.GetProperties())
        {
            if (property.IsKey() || property.IsForeignKey() || property == model.PatientId || property == discriminator)
            {
                continue;
            }

            yield return (model.OwnedThrough ?? MemberOf(property.Name), property.GetColumnName(table) ?? property.GetColumnName());
        }

        foreach (var navigation in entityType.GetNavigations().Where(n => !n.IsOnDependent && n.ForeignKey.IsOwnership))
        {
            foreach (var column in OwnedColumns(navigation.TargetEntityType, table))
            {
                yield return (model.OwnedThrough ?? navigation.Name, column);
            }
        }
    }

    /// <summary>The columns of <paramref name="table"/> that an owned type (and the owned types it owns) keeps its values in.</summary>
    private static IEnumerable<string> OwnedColumns(IEntityType owned, StoreObjectIdentifier table)
    {
        if (owned.IsMappedToJson() && owned.GetContainerColumnName() is { } container)
        {
            yield return container;
            yield break;
        }

        foreach (var property in owned.GetProperties())
        {
            if (!property.IsKey() && !property.IsForeignKey() && property.GetColumnName(table) is { } column)
            {
                yield return column;
            }
        }

        foreach (var navigation in owned.GetNavigations().Where(n => !n.IsOnDependent && n.ForeignKey.IsOwnership))
        {
            foreach (var column in OwnedColumns(navigation.TargetEntityType, table))
            {
                yield return column;
            }
        }
    }

    private static string MemberOf(string propertyName) =>
        propertyName.StartsWith(EncryptionAnnotations.BlindIndexPrefix, StringComparison.Ordinal)
            ? propertyName[EncryptionAnnotations.BlindIndexPrefix.Length..]
            : PhiEntityModel.MemberName(propertyName);

    /// <summary>Whether <paramref name="sql"/> contains <paramref name="column"/> as a whole identifier (quoted or not, any case).</summary>
    private static bool Names(string sql, string column)
    {
        for (var at = sql.IndexOf(column, StringComparison.OrdinalIgnoreCase); at >= 0; at = sql.IndexOf(column, at + 1, StringComparison.OrdinalIgnoreCase))
        {
            var end = at + column.Length;
            if ((at == 0 || !IsIdentifierChar(sql[at - 1])) && (end == sql.Length || !IsIdentifierChar(sql[end])))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsIdentifierChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '$';

    private static void Record(DbContext context, AuditRuntime runtime, AccessContext access, AuditedCommand? command, PhiEntityModel model, string? patientId, AccessDecision decision, List<string>? withheld)
    {
        var record = runtime.NewEntry(access, AuditAction.Read, patientId is null && command is not null ? string.Join(",", command.Touched.Select(t => t.Name)) : model.Name, patientId);
        record.Outcome = AuditOutcome.Denied;
        record.Categories = model.Category;
        record.Labels = model.LabelList;
        record.Fields = string.Empty;
        record.RedactedFields = withheld is null ? model.FieldList : string.Join(AuditEntry.ListSeparator, withheld);
        record.QueryFingerprint = command?.Fingerprint;
        record.Decision = AuditRuntime.Describe(decision);
        runtime.AppendReads(context, [record]);
    }
}
