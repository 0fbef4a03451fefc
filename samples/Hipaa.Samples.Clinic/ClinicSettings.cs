using Microsoft.EntityFrameworkCore;

namespace Hipaa.Samples.Clinic;

/// <summary>
/// Where the sample keeps its data and which database it uses: SQLite files under <see cref="DataDirectory"/> (the
/// default), or PostgreSQL when a connection string is given (<c>--postgres "Host=…"</c> or the environment variable
/// <c>HIPAA_SAMPLE_POSTGRES</c>). The development key-encryption key and the audit signing key are files in the data
/// directory either way.
/// </summary>
public sealed class ClinicSettings
{
    /// <summary>The environment variable that holds a PostgreSQL connection string.</summary>
    public const string PostgresVariable = "HIPAA_SAMPLE_POSTGRES";

    /// <summary>The URL the web app listens on unless <c>--urls</c> says otherwise.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>Gets the folder of the SQLite files and of the development keys; created on first run.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Gets the PostgreSQL connection string, or <see langword="null"/> for SQLite.</summary>
    public string? PostgresConnectionString { get; init; }

    /// <summary>Gets the URLs Kestrel listens on (<c>http://127.0.0.1:0</c> picks a free port).</summary>
    public string Urls { get; init; } = DefaultUrl;

    /// <summary>Gets the arguments left over after the sample's own (passed on to the host).</summary>
    public IReadOnlyList<string> RemainingArguments { get; init; } = [];

    /// <summary>Gets whether the stores are on PostgreSQL.</summary>
    public bool UsesPostgres => PostgresConnectionString is not null;

    /// <summary>Gets the development key-encryption key's file (production: a KMS or HSM key).</summary>
    public string KeyEncryptionKeyFile => Path.Combine(DataDirectory, "dev.kek");

    /// <summary>Gets the development audit checkpoint signing key's file (production: an HSM or KMS key).</summary>
    public string SigningKeyFile => Path.Combine(DataDirectory, "audit-signing.pem");

    /// <summary>Gets the file the signing key's public half is exported to, for <c>hipaa audit verify --public-key</c>.</summary>
    public string PublicKeyFile => Path.Combine(DataDirectory, "audit-signing.pub.pem");

    /// <summary>Gets the clinic database's connection string (clinic tables, audit trail, consents).</summary>
    public string ClinicConnectionString => PostgresConnectionString ?? $"Data Source={Path.Combine(DataDirectory, "clinic.db")}";

    /// <summary>Gets the key store's connection string (wrapped data keys).</summary>
    public string KeyStoreConnectionString => PostgresConnectionString ?? $"Data Source={Path.Combine(DataDirectory, "keys.db")}";

    /// <summary>Gets the provider name <c>hipaa audit</c> takes: <c>sqlite</c> or <c>postgres</c>.</summary>
    public string CliProvider => UsesPostgres ? "postgres" : "sqlite";

    /// <summary>
    /// Reads <c>--data DIR</c>, <c>--postgres CS</c> and <c>--urls URLS</c> from <paramref name="args"/> (and
    /// <see cref="PostgresVariable"/>); the default data folder is <c>./.hipaa-sample</c>.
    /// </summary>
    /// <param name="args">The command line, without the <c>demo</c> verb.</param>
    /// <param name="defaultDataDirectory">The data folder when <c>--data</c> is not given; <see langword="null"/> for <c>./.hipaa-sample</c>.</param>
    /// <returns>The settings.</returns>
    /// <exception cref="ArgumentException">An option is missing its value.</exception>
    public static ClinicSettings Parse(IReadOnlyList<string> args, string? defaultDataDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        string? data = null;
        string? postgres = Environment.GetEnvironmentVariable(PostgresVariable);
        string urls = DefaultUrl;
        var rest = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--data":
                    data = Value(args, ref i);
                    break;
                case "--postgres":
                    postgres = Value(args, ref i);
                    break;
                case "--urls":
                    urls = Value(args, ref i);
                    break;
                default:
                    rest.Add(args[i]);
                    break;
            }
        }

        return new ClinicSettings
        {
            DataDirectory = Path.GetFullPath(data ?? defaultDataDirectory ?? Path.Combine(Environment.CurrentDirectory, ".hipaa-sample")),
            PostgresConnectionString = string.IsNullOrWhiteSpace(postgres) ? null : postgres,
            Urls = urls,
            RemainingArguments = rest,
        };
    }

    /// <summary>Points <paramref name="options"/> at the clinic database.</summary>
    /// <param name="options">The options to configure.</param>
    public void UseClinicDatabase(DbContextOptionsBuilder options) => Use(options, ClinicConnectionString);

    /// <summary>Points <paramref name="options"/> at the key store's database.</summary>
    /// <param name="options">The options to configure.</param>
    public void UseKeyDatabase(DbContextOptionsBuilder options) => Use(options, KeyStoreConnectionString);

    private void Use(DbContextOptionsBuilder options, string connectionString)
    {
        if (UsesPostgres)
        {
            options.UseNpgsql(connectionString);
        }
        else
        {
            options.UseSqlite(connectionString);
        }
    }

    private static string Value(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count || string.IsNullOrWhiteSpace(args[i + 1]) || args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            throw new ArgumentException($"The option {args[i]} needs a value, e.g. {args[i]} {Example(args[i])}.");
        }

        i++;
        return args[i];
    }

    private static string Example(string option) => option switch
    {
        "--data" => "./.hipaa-sample",
        "--postgres" => "\"Host=127.0.0.1;Port=5432;Database=clinic;Username=postgres\"",
        _ => DefaultUrl,
    };
}
