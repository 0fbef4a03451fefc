namespace Hipaa.EfCore.Auditing.Sql;

/// <summary>A name in a SQL statement that may denote a table: the name and the schema qualifying it, as written.</summary>
/// <param name="Schema">The qualifying schema (<c>main</c>, <c>public</c>), or <see langword="null"/> when unqualified.</param>
/// <param name="SchemaQuoted">Whether the schema was quoted (quoted names keep their case on PostgreSQL).</param>
/// <param name="Name">The name, without quotes or escapes.</param>
/// <param name="Quoted">Whether the name was quoted (or, on SQLite, a string literal where a table name belongs).</param>
internal sealed record SqlTableName(string? Schema, bool SchemaQuoted, string Name, bool Quoted)
{
    /// <summary>
    /// Whether this name, as written, may denote the table <paramref name="table"/> in <paramref name="schema"/>
    /// (<see langword="null"/>: the default schema). A written schema must match a table's own schema; a table in the
    /// default schema is matched whatever schema is written, since which schema is the default (PostgreSQL's
    /// search_path, an attached SQLite database) is not known from the text.
    /// </summary>
    public bool Denotes(string? schema, string table, SqlDialect dialect) =>
        dialect.SameName(Name, Quoted, table) && (Schema is null || schema is null || dialect.SameName(Schema, SchemaQuoted, schema));

    public override string ToString() => Schema is null ? Name : Schema + "." + Name;
}
