using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Auditing.Sql;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hipaa.EfCore;

/// <summary>
/// The PHI tables of this process: every table a <see cref="PhiAttribute"/> entity type maps to, and the audit trail's
/// own, in the models of the contexts configured with <c>UseHipaa</c> that have been used. <see cref="HipaaModelGuard"/>
/// refuses a context without <c>UseHipaa</c> that maps a type onto one of them, or whose commands name one, whatever
/// CLR type it reads them into.
/// </summary>
internal static class PhiTableRegistry
{
    private static readonly ConditionalWeakTable<IModel, object> Registered = [];
    private static readonly ConcurrentDictionary<(string? Schema, string Table), byte> Tables = new();
    private static readonly ConditionalWeakTable<string, StrongBox<string?>> Commands = [];
    private static int _version;

    /// <summary>Gets a value indicating whether no PHI table is known yet.</summary>
    public static bool IsEmpty => Tables.IsEmpty;

    /// <summary>Adds the PHI tables of a model of a context configured with <c>UseHipaa</c> (once per model).</summary>
    public static void Register(IModel model)
    {
        if (Registered.TryGetValue(model, out _))
        {
            return;
        }

        foreach (var entityType in model.GetEntityTypes())
        {
            var isAuditTable = entityType.ClrType == typeof(AuditEntry) || entityType.ClrType == typeof(AuditCheckpointEntry) || entityType.ClrType == typeof(AuditPatientEntry);
            if ((isAuditTable || HipaaAnnotations.PhiModel(entityType) is not null) && entityType.GetTableName() is { } table
                && Tables.TryAdd((entityType.GetSchema(), table), 0))
            {
                Interlocked.Increment(ref _version);
            }

            // The tables of its split fragments and owned types hold the entity's PHI too (an SSN split off, contacts).
            if (HipaaAnnotations.PhiModel(entityType) is { } phi)
            {
                foreach (var other in PhiEntityModel.OtherTables(phi))
                {
                    if (Tables.TryAdd((other.Schema, other.Table), 0))
                    {
                        Interlocked.Increment(ref _version);
                    }
                }
            }
        }

        Registered.AddOrUpdate(model, true);
    }

    /// <summary>The first entity type of <paramref name="model"/> whose table or view is a PHI table, as "Type (table)"; or null.</summary>
    public static string? MappedOnto(IModel model)
    {
        if (Tables.IsEmpty)
        {
            return null;
        }

        foreach (var entityType in model.GetEntityTypes())
        {
            IEnumerable<(string? Schema, string? Table)> mappings =
            [
                (entityType.GetSchema(), entityType.GetTableName()),
                (entityType.GetViewSchema(), entityType.GetViewName()),
                .. entityType.GetMappingFragments().Select(f => (f.StoreObject.Schema, (string?)f.StoreObject.Name)),
            ];
            foreach (var (schema, table) in mappings)
            {
                if (table is not null && IsPhiTable(schema, table))
                {
                    return $"{entityType.DisplayName()} mapped onto {table}";
                }
            }
        }

        return null;
    }

    /// <summary>The first PHI table <paramref name="sql"/> names, or null (remembered per command text instance).</summary>
    public static string? NamedIn(string sql, string? providerName)
    {
        if (Tables.IsEmpty)
        {
            return null;
        }

        var version = Volatile.Read(ref _version);
        if (Commands.TryGetValue(sql, out var known) && known.Value is not null)
        {
            return known.Value;
        }

        if (known is not null && version == KnownVersion(known))
        {
            return null;
        }

        var dialect = SqlDialect.For(providerName);
        var analysis = SqlAnalyzer.Analyze(sql, dialect);
        string? found = null;
        foreach (var name in analysis.Names)
        {
            foreach (var (schema, table) in Tables.Keys)
            {
                if (name.Denotes(schema, table, dialect))
                {
                    found = name.ToString();
                    break;
                }
            }

            if (found is not null)
            {
                break;
            }
        }

        Commands.AddOrUpdate(sql, found is null ? new VersionedAbsence(version) : new StrongBox<string?>(found));
        return found;
    }

    private static int KnownVersion(StrongBox<string?> known) => known is VersionedAbsence absence ? absence.Version : -1;

    private static bool IsPhiTable(string? schema, string table)
    {
        foreach (var (phiSchema, phiTable) in Tables.Keys)
        {
            if (string.Equals(phiTable, table, StringComparison.OrdinalIgnoreCase)
                && (phiSchema is null || schema is null || string.Equals(phiSchema, schema, StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A command text found to name no PHI table while the registry was at <see cref="Version"/>.</summary>
    private sealed class VersionedAbsence(int version) : StrongBox<string?>(null)
    {
        public int Version { get; } = version;
    }
}
