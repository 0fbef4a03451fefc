namespace Hipaa.EfCore.Auditing.Sql;

/// <summary>What a SQL command does, from its first keyword after comments and common table expressions.</summary>
internal enum SqlStatementKind
{
    /// <summary><c>SELECT</c>, <c>VALUES</c> or PostgreSQL's <c>TABLE x</c> — without data-modifying CTEs or <c>SELECT … INTO</c>.</summary>
    Read,

    /// <summary><c>INSERT</c> (or SQLite's <c>REPLACE</c>).</summary>
    Insert,

    /// <summary><c>UPDATE</c>.</summary>
    Update,

    /// <summary><c>DELETE</c>.</summary>
    Delete,

    /// <summary>Another known statement that may change data or schema: <c>MERGE</c>, <c>TRUNCATE</c>, <c>COPY</c>, DDL, <c>PRAGMA</c> ….</summary>
    Other,

    /// <summary>
    /// Cannot be classified: several statements, an unknown first keyword, DML nested where a read was expected, code the
    /// statement runs but does not show (<c>DO</c>, <c>CALL</c>, <c>EXECUTE</c>), or text that could not be tokenized.
    /// </summary>
    Unclassified,
}
