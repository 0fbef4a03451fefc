using Microsoft.SqlServer.TransactSql.ScriptDom;

namespace Hipaa.EfCore.Tests.Storage.Dialects;

/// <summary>Parses T-SQL with SQL Server 2022's grammar (TSql160Parser, QUOTED_IDENTIFIER on as SqlClient sets it) and reads facts off the tree.</summary>
internal static class TransactSqlParse
{
    /// <summary>The parse tree of <paramref name="sql"/>; fails the test, naming the errors, when it does not parse.</summary>
    public static TSqlFragment Parse(string sql)
    {
        var parser = new TSql160Parser(initialQuotedIdentifiers: true);
        using var reader = new StringReader(sql);
        var fragment = parser.Parse(reader, out var errors);
        Assert.True(errors.Count == 0, $"T-SQL parse errors in:\n{sql}\n{string.Join("\n", errors.Select(e => $"line {e.Line}, column {e.Column}: {e.Message}"))}");
        return fragment;
    }

    /// <summary>The statements of the parsed script.</summary>
    public static IReadOnlyList<TSqlStatement> Statements(string sql) =>
        [.. ((TSqlScript)Parse(sql)).Batches.SelectMany(b => b.Statements)];

    /// <summary>Every node of type <typeparamref name="T"/> in the tree.</summary>
    public static List<T> All<T>(TSqlFragment fragment)
        where T : TSqlFragment
    {
        var collector = new Collector<T>();
        fragment.Accept(collector);
        return collector.Found;
    }

    /// <summary>The distinct variables (<c>@name</c>) the text references: its parameters.</summary>
    public static int DistinctVariables(TSqlFragment fragment) =>
        All<VariableReference>(fragment).Select(v => v.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count();

    /// <summary>The tables the tree names (<c>[schema].[table]</c> → table), upper-cased.</summary>
    public static IReadOnlySet<string> NamedTables(TSqlFragment fragment) =>
        All<NamedTableReference>(fragment).Select(t => t.SchemaObject.BaseIdentifier.Value.ToUpperInvariant()).ToHashSet();

    private sealed class Collector<T> : TSqlFragmentVisitor
        where T : TSqlFragment
    {
        public List<T> Found { get; } = [];

        public override void Visit(TSqlFragment fragment)
        {
            if (fragment is T found)
            {
                Found.Add(found);
            }
        }
    }
}
