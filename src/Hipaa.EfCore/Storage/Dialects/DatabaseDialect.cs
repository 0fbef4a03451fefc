using System.Data.Common;
using Hipaa.EfCore.Auditing.Sql;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Hipaa.EfCore.Storage.Dialects;

/// <summary>
/// Everything the SDK does differently per database: the raw-SQL lexer's rules, the audit chain's lock, how many
/// parameters a statement may carry and whether rows are inserted one by one, how a bulk write returns the patients it
/// wrote (<c>RETURNING</c>, T-SQL's <c>OUTPUT</c>), the key id of a stored ciphertext in SQL, identifier quoting, and the
/// maintenance statements (SQLite's WAL checkpoints, PostgreSQL's table locks). Resolved once from EF Core's provider
/// name here (<see cref="Find(string)"/>); the rest of the SDK asks the dialect instead of comparing provider names.
/// A provider without a dialect is refused when <c>UseHipaa</c>'s options are validated.
/// </summary>
internal abstract class DatabaseDialect
{
    /// <summary>EF Core's provider name of SQLite (<c>DatabaseFacade.ProviderName</c>).</summary>
    public const string SqliteProviderName = "Microsoft.EntityFrameworkCore.Sqlite";

    /// <summary>EF Core's provider name of PostgreSQL (Npgsql).</summary>
    public const string PostgreSqlProviderName = "Npgsql.EntityFrameworkCore.PostgreSQL";

    /// <summary>EF Core's provider name of SQL Server.</summary>
    public const string SqlServerProviderName = "Microsoft.EntityFrameworkCore.SqlServer";

    /// <summary>Gets the dialects of the supported providers, in the order the documentation lists them.</summary>
    public static IReadOnlyList<DatabaseDialect> Supported { get; } = [SqliteDialect.Instance, PostgreSqlDialect.Instance, SqlServerDialect.Instance];

    /// <summary>Gets the supported providers as a sentence part: names and EF Core packages.</summary>
    public static string SupportedProviders { get; } = string.Join(", ", Supported.Select(d => $"{d.Name} ({d.ProviderName}{(d.IsPreview ? ", preview" : string.Empty)})"));

    /// <summary>Gets the database's name as the documentation writes it.</summary>
    public abstract string Name { get; }

    /// <summary>Gets EF Core's name of the provider (the provider assembly's name).</summary>
    public abstract string ProviderName { get; }

    /// <summary>Gets a value indicating whether the dialect's statements are checked only by parsing them (SQL Server: no server runs in CI).</summary>
    public virtual bool IsPreview => false;

    /// <summary>Gets how the database reads SQL text: what the raw-SQL audit's lexer follows.</summary>
    public abstract SqlDialect Lexer { get; }

    /// <summary>Gets the most parameters one multi-row insert may carry (below the provider's limit).</summary>
    public abstract int MaxParametersPerStatement { get; }

    /// <summary>
    /// Gets a value indicating whether rows are inserted by one prepared one-row statement run per row rather than by
    /// multi-row statements (SQLite: in-process, no round trip to save, and binding n named parameters costs O(n²)).
    /// </summary>
    public virtual bool InsertsRowByRow => false;

    /// <summary>
    /// Gets a value indicating whether one writer at a time holds the whole database (SQLite's write lock): this process's
    /// audit writer and sealer then take turns in the process, and a read inside the caller's own transaction writes its
    /// record in that transaction (a second connection could not write while it is open).
    /// </summary>
    public virtual bool HasDatabaseWriteLock => false;

    /// <summary>
    /// Gets the statement that takes the audit chain's lock inside the current transaction, released when it ends, or
    /// <see langword="null"/> when beginning the transaction already took it (SQLite's <c>BEGIN IMMEDIATE</c>).
    /// </summary>
    public abstract string? ChainLockStatement { get; }

    /// <summary>Gets the sealer's query of the next unsealed records (parameter <c>{0}</c>: how many), or <see langword="null"/> to let EF Core write it.</summary>
    public virtual string? PendingRecordsQuery => null;

    /// <summary>Gets a value indicating whether a <see cref="DateTimeOffset"/> is stored as text (SQLite), so verification also checks the text form of times.</summary>
    public virtual bool StoresTimesAsText => false;

    /// <summary>
    /// Gets a value indicating whether the database compares text as the policy compares patient ids (ordinally) unless
    /// the model says otherwise; SQL Server's default collations ignore case and trailing spaces.
    /// </summary>
    public virtual bool ComparesTextOrdinally => true;

    /// <summary>Gets a value indicating whether the key table can be compacted by <c>CompactKeyTableAsync</c> (SQLite's VACUUM, PostgreSQL's VACUUM FULL).</summary>
    public virtual bool CompactsKeyTable => false;

    /// <summary>Whether a clause returning the written rows' patient ids can be added to an UPDATE/DELETE on <paramref name="connection"/>.</summary>
    /// <param name="connection">The connection the command runs on (not necessarily open).</param>
    /// <returns><see langword="true"/> when <see cref="WithReturnedColumn"/> may be used.</returns>
    public virtual bool SupportsReturning(DbConnection connection) => Lexer.SupportsReturning(connection);

    /// <summary>
    /// The text of a single UPDATE or DELETE (<paramref name="analysis"/> of <paramref name="sql"/>, one that
    /// <see cref="SqlCommandAnalysis.CanAppendReturning"/>) that also returns <paramref name="delimitedColumn"/> of every
    /// row it writes, or <see langword="null"/> when the dialect cannot place the clause.
    /// </summary>
    /// <param name="sql">The command text.</param>
    /// <param name="analysis">What the lexer found in it.</param>
    /// <param name="delimitedColumn">The patient id column, delimited.</param>
    /// <returns>The rewritten text, trailing semicolons and comments dropped.</returns>
    public abstract string? WithReturnedColumn(string sql, SqlCommandAnalysis analysis, string delimitedColumn);

    /// <summary>The SQL of the key id inside a stored field ciphertext (bytes 2 to 17), read from <paramref name="column"/>.</summary>
    /// <param name="column">The ciphertext column, delimited.</param>
    /// <returns>An expression of the 16-byte key id.</returns>
    public abstract string KeyIdOf(string column);

    /// <summary>The end of a query that returns its first <paramref name="rows"/> rows in <paramref name="orderBy"/> order: <c> ORDER BY id LIMIT n</c>, or T-SQL's <c>OFFSET 0 ROWS FETCH NEXT n ROWS ONLY</c>.</summary>
    /// <param name="orderBy">The ordering, e.g. <c>id</c>.</param>
    /// <param name="rows">How many rows (positive).</param>
    /// <returns>The clause, with a leading space.</returns>
    public virtual string FirstRows(string orderBy, int rows) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $" ORDER BY {orderBy} LIMIT {rows}");

    /// <summary>Delimits one identifier the way the database quotes it.</summary>
    /// <param name="name">The identifier.</param>
    /// <returns>The quoted identifier, with quote characters inside it escaped.</returns>
    public abstract string QuoteIdentifier(string name);

    /// <summary>
    /// The statement that locks <paramref name="tables"/> against readers and writers until the transaction ends (the
    /// consent tables while a legacy migration swaps them), or <see langword="null"/> when the transaction already does.
    /// </summary>
    /// <param name="tables">The tables, undelimited.</param>
    /// <returns>The statement, or <see langword="null"/>.</returns>
    public virtual string? LockTablesStatement(IReadOnlyList<string> tables) => null;

    /// <summary>Gets the statement run after rows were rewritten so that the old bytes leave the file (SQLite's VACUUM), or <see langword="null"/>.</summary>
    public virtual string? ReclaimSpaceStatement => null;

    /// <summary>Gets the query of the journal mode (SQLite), or <see langword="null"/> where there is no such thing.</summary>
    public virtual string? JournalModeQuery => null;

    /// <summary>Gets the statement that copies the WAL into the database without waiting (SQLite), or <see langword="null"/>.</summary>
    public virtual string? PassiveCheckpointStatement => null;

    /// <summary>Gets the statement that stops the connection's automatic WAL checkpoints (SQLite), or <see langword="null"/>.</summary>
    public virtual string? DisableAutomaticCheckpointsStatement => null;

    /// <summary>The statement that makes the connection wait up to <paramref name="seconds"/> for a lock inside the database (SQLite's busy timeout), or <see langword="null"/>.</summary>
    /// <param name="seconds">The wait, in seconds (positive).</param>
    /// <returns>The statement, or <see langword="null"/>.</returns>
    public virtual string? BusyTimeoutStatement(int seconds) => null;

    /// <summary>The dialect of an EF Core provider, or <see langword="null"/> for a provider the SDK does not support.</summary>
    /// <param name="providerName">EF Core's provider name (<c>DatabaseFacade.ProviderName</c>).</param>
    /// <returns>The dialect, or <see langword="null"/>.</returns>
    public static DatabaseDialect? Find(string? providerName) => providerName switch
    {
        SqliteProviderName => SqliteDialect.Instance,
        PostgreSqlProviderName => PostgreSqlDialect.Instance,
        SqlServerProviderName => SqlServerDialect.Instance,
        _ => null,
    };

    /// <summary>The dialect of <paramref name="context"/>'s provider, or <see langword="null"/> for a provider the SDK does not support.</summary>
    /// <param name="context">The context.</param>
    /// <returns>The dialect, or <see langword="null"/>.</returns>
    public static DatabaseDialect? Find(DbContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Find(context.Database.ProviderName);
    }

    /// <summary>The dialect of <paramref name="context"/>'s provider; throws for a provider the SDK does not support.</summary>
    /// <param name="context">The context.</param>
    /// <param name="what">What needs the dialect, for the message ("The audit store", "The key store").</param>
    /// <returns>The dialect.</returns>
    /// <exception cref="InvalidOperationException">The provider is not supported.</exception>
    public static DatabaseDialect For(DbContext context, string what) =>
        Find(context) ?? throw Unsupported(what, context.Database.ProviderName);

    /// <summary>
    /// Throws when <paramref name="options"/> configure a database provider the SDK has no dialect for (EF Core's provider
    /// name is the provider assembly's name); does nothing when they configure none (EF Core reports that itself).
    /// </summary>
    /// <param name="options">The options of a context.</param>
    /// <param name="what">What the options are for, for the message.</param>
    /// <exception cref="InvalidOperationException">The provider is not SQLite, PostgreSQL or SQL Server.</exception>
    public static void RequireSupported(IDbContextOptions options, string what)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var extension in options.Extensions)
        {
            if (extension.Info.IsDatabaseProvider && extension.GetType().Assembly.GetName().Name is var provider && Find(provider) is null)
            {
                throw Unsupported(what, provider);
            }
        }
    }

    /// <summary>The error for a provider the SDK does not support, naming the supported ones.</summary>
    /// <param name="what">What uses the provider.</param>
    /// <param name="providerName">The provider's name.</param>
    /// <returns>The exception to throw.</returns>
    public static InvalidOperationException Unsupported(string what, string? providerName) => new(
        $"{what} uses the database provider '{providerName ?? "(none)"}', which Hipaa.Sdk does not support: its audit trail, chain lock and bulk-write auditing need SQL written for the database. Supported providers: {SupportedProviders}. Configure one of them (UseSqlite, UseNpgsql or UseSqlServer).");

    /// <inheritdoc />
    public override string ToString() => Name;
}
