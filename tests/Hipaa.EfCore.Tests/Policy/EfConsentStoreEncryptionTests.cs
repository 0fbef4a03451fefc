using System.Globalization;
using System.Text;
using Hipaa.EfCore.Encryption;
using Hipaa.EfCore.Policy;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Encryption;
using Hipaa.Policy;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Hipaa.EfCore.Tests.Policy;

/// <summary>
/// Consents are encrypted under the key ring (issue 9, finding 8): what a dump shows, what a database writer can do to a
/// row, what shredding the patient does, and the migration of tables written in plaintext by an earlier version.
/// </summary>
public abstract class EfConsentStoreEncryptionTests : IDisposable
{
    private const string CanaryPatient = "p-canary-7731";
    private const string CanaryConsent = "c-canary-4410";
    private const string CanaryRecipient = "org-canary-sud-program";
    private const string CanaryCategory = "CanaryCategory";
    private const string CanaryRecorder = "u-canary-counselor";
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private readonly TestDatabase _database;
    private readonly string _provider;
    private readonly FakeTimeProvider _time = new(Now);
    private readonly ConsentStoreKeys _keys;
    private readonly CapturingLoggerProvider _logs = new();

    protected EfConsentStoreEncryptionTests(string provider)
    {
        _provider = provider;
        _database = TestDatabase.Create(provider);
        _keys = new ConsentStoreKeys(_database, _time);
    }

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Dump_OfTheConsentTables_ContainsNoProgramRecipientCategoryOrId()
    {
        EfConsentStore store = Store();
        await store.RecordAsync(CanaryConsentFor(CanaryPatient), CanaryRecorder);
        await store.RevokeAsync(CanaryPatient, CanaryConsent, Now.AddDays(1), CanaryRecorder);

        Consent listed = Assert.Single(await store.ListAsync(CanaryPatient));
        Assert.Equal([CanaryRecipient], listed.Recipients);
        Assert.Equal(Now.AddDays(1), listed.RevokedAt);
        Assert.Equal(2, (await store.GetHistoryAsync(CanaryPatient)).Count);
        foreach (byte[] dump in Dumps())
        {
            AssertNoCanary(dump);
        }
    }

    [Fact]
    public async Task ListAsync_RowCopiedToAnotherPatient_IsLeftOutAndPermitsNothing()
    {
        EfConsentStore store = Store();
        await store.RecordAsync(Part2("c-1", "p1", "org-hospital"), "u-front");
        await store.RecordAsync(Part2("c-2", "p2", "org-other"), "u-front");
        byte[] p1 = await _keys.Cipher.PatientKeyAsync("p1", CancellationToken.None);
        byte[] p2 = await _keys.Cipher.PatientKeyAsync("p2", CancellationToken.None);
        var (p1Consent, p1Payload) = Row(p1);

        // As someone with write access would: p1's consent under p2's patient hash, and p2's own row given p1's payload.
        Execute($"INSERT INTO {ConsentStoreDbContext.ConsentsTable} (patient_key, consent_key, revision, payload) VALUES (@p, @c, 0, @payload)", ("@p", p2), ("@c", p1Consent), ("@payload", p1Payload));
        Execute($"UPDATE {ConsentStoreDbContext.ConsentsTable} SET payload = @payload WHERE patient_key = @p AND consent_key <> @c", ("@payload", p1Payload), ("@p", p2), ("@c", p1Consent));

        IReadOnlyList<Consent> listed = await store.ListAsync("p2");

        Assert.Empty(listed);
        Assert.False(PolicyEngine.Default.Decide(Disclosure("p2", "org-hospital", listed)).IsPermitted);
        Assert.Contains(_logs.Entries, e => e.EventId.Id == 1301 && e.Text.StartsWith("2 row(s)", StringComparison.Ordinal));
        Assert.DoesNotContain(_logs.Entries, e => e.Text.Contains("p2", StringComparison.Ordinal) || e.Text.Contains("c-1", StringComparison.Ordinal));
        Assert.True(PolicyEngine.Default.Decide(Disclosure("p1", "org-hospital", await store.ListAsync("p1"))).IsPermitted);
    }

    [Fact]
    public async Task ListAsync_TamperedRow_NeverWidensAccess()
    {
        EfConsentStore store = Store();
        await store.RecordAsync(Part2("c-narrow", "p1", "org-other"), "u-front");
        await store.RecordAsync(Part2("c-hospital", "p1", "org-hospital"), "u-front");
        await store.RevokeAsync("p1", "c-hospital", Now.AddDays(-1), "u-comp");
        byte[] p1 = await _keys.Cipher.PatientKeyAsync("p1", CancellationToken.None);
        byte[] narrowKey = await _keys.Cipher.ConsentKeyAsync("p1", "c-narrow", CancellationToken.None);
        byte[] hospitalKey = await _keys.Cipher.ConsentKeyAsync("p1", "c-hospital", CancellationToken.None);
        byte[] narrow = Payload(p1, narrowKey);
        byte[] hospital = Payload(p1, hospitalKey);
        Assert.False(PolicyEngine.Default.Decide(Disclosure("p1", "org-hospital", await store.ListAsync("p1"))).IsPermitted);

        // Every byte of the revoked consent's payload flipped in turn (format, key id, nonce, ciphertext, tag), then the two
        // payloads swapped: the revoked consent never comes back, and no consent names anything it did not name.
        var tampers = new List<(byte[] Narrow, byte[] Hospital)>();
        for (var i = 0; i < hospital.Length; i++)
        {
            byte[] flipped = (byte[])hospital.Clone();
            flipped[i] ^= 0x01;
            tampers.Add((narrow, flipped));
        }

        tampers.Add((hospital, narrow));
        foreach (var (narrowPayload, hospitalPayload) in tampers)
        {
            SetPayload(p1, narrowKey, narrowPayload);
            SetPayload(p1, hospitalKey, hospitalPayload);

            IReadOnlyList<Consent> listed = await store.ListAsync("p1");

            Assert.False(PolicyEngine.Default.Decide(Disclosure("p1", "org-hospital", listed)).IsPermitted);
            Assert.All(listed, c => Assert.Equal(("c-narrow", "org-other"), (c.Id, c.Recipients.Single())));
        }

        Assert.Contains(_logs.Entries, e => e.EventId.Id == 1301);
    }

    [Fact]
    public async Task GetHistoryAsync_TamperedRow_ThrowsRatherThanShowingAGap()
    {
        EfConsentStore store = Store();
        await store.RecordAsync(Part2("c-1", "p1", "org-hospital"), "u-front");
        Execute($"UPDATE {ConsentStoreDbContext.HistoryTable} SET payload = @payload", ("@payload", new byte[64]));

        var exception = await Assert.ThrowsAsync<System.Security.Cryptography.CryptographicException>(() => store.GetHistoryAsync("p1"));

        Assert.Contains(ConsentStoreDbContext.HistoryTable, exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("p1", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ShredAsync_OfThePatient_MakesTheirConsentsUnreadableAndPermitsNothing()
    {
        EfConsentStore store = Store();
        await store.RecordAsync(Part2("c-1", "p1", "org-hospital"), "u-front");
        await store.RecordAsync(Part2("c-1", "p2", "org-hospital"), "u-front");
        Assert.True(PolicyEngine.Default.Decide(Disclosure("p1", "org-hospital", await store.ListAsync("p1"))).IsPermitted);

        await _keys.Manager.ShredAsync(DataKeyScope.ForPatient("p1"));
        IReadOnlyList<Consent> listed = await Store().ListAsync("p1");

        Assert.Empty(listed);
        Assert.False(PolicyEngine.Default.Decide(Disclosure("p1", "org-hospital", listed)).IsPermitted);
        Assert.Empty(await store.GetHistoryAsync("p1"));
        Assert.Contains(_logs.Entries, e => e.EventId.Id == 1302);
        await Assert.ThrowsAsync<ShreddedScopeException>(() => store.RecordAsync(Part2("c-2", "p1", "org-hospital"), "u-front"));
        var revocation = await Assert.ThrowsAsync<InvalidOperationException>(() => store.RevokeAsync("p1", "c-1", Now, "u-comp"));
        Assert.Contains("crypto-shredded", revocation.Message, StringComparison.Ordinal);
        Assert.True(PolicyEngine.Default.Decide(Disclosure("p2", "org-hospital", await store.ListAsync("p2"))).IsPermitted);
    }

    [Fact]
    public async Task FirstUse_PlaintextTablesOfAnEarlierVersion_AreEncryptedInPlace()
    {
        CreateLegacyTables();
        InsertLegacy(CanaryPatient, CanaryConsent, revokedAt: Now.AddDays(1));

        EfConsentStore store = Store(encryptPlaintextTables: true); // the application says this start is the upgrade
        Consent listed = Assert.Single(await store.ListAsync(CanaryPatient));
        IReadOnlyList<ConsentChange> history = await store.GetHistoryAsync(CanaryPatient);

        Assert.Equal((CanaryConsent, ConsentKind.Part2, CanaryRecipient), (listed.Id, listed.Kind, listed.Recipients.Single()));
        Assert.Equal([new DataCategory(CanaryCategory)], listed.Categories);
        Assert.Equal([PurposeOfUse.Treatment], listed.Purposes);
        Assert.Equal((Now.AddDays(-30), (DateTimeOffset?)null, (DateTimeOffset?)Now.AddDays(1)), (listed.From, listed.Until, listed.RevokedAt));
        Assert.Equal([ConsentChangeKind.Recorded, ConsentChangeKind.Revoked], history.Select(h => h.Kind));
        Assert.Equal([CanaryRecorder, "u-comp"], history.Select(h => h.ChangedBy));
        Assert.Equal([Now.AddDays(-30), Now.AddDays(1)], history.Select(h => h.ChangedAt));
        Assert.Contains(_logs.Entries, e => e.EventId.Id == 1303);
        foreach (byte[] dump in Dumps())
        {
            AssertNoCanary(dump);
        }

        // And the migrated store works as any other: a second start finds nothing to migrate.
        await Store().RecordAsync(Part2("c-2", CanaryPatient, "org-hospital"), "u-front");
        Assert.Equal(2, (await Store().ListAsync(CanaryPatient)).Count);
        Assert.Single(_logs.Entries, e => e.EventId.Id == 1303);
    }

    private static Consent CanaryConsentFor(string patientId) =>
        new(CanaryConsent, patientId, ConsentKind.Part2, [CanaryRecipient], [PurposeOfUse.Treatment], [new DataCategory(CanaryCategory)], Now.AddDays(-30));

    private static Consent Part2(string id, string patientId, string recipient) =>
        new(id, patientId, ConsentKind.Part2, [recipient], [PurposeOfUse.Treatment], [DataCategory.ProgressNote], Now.AddDays(-30));

    private static AccessRequest Disclosure(string patientId, string recipient, IReadOnlyList<Consent> consents) => new()
    {
        Actor = new Actor("u-ther", [WellKnownRoles.Therapist], "practice", [patientId]),
        PatientId = patientId,
        Category = DataCategory.ProgressNote,
        Labels = [SensitivityLabel.SubstanceUseDisorder],
        Action = PhiAction.Disclose,
        Purpose = PurposeOfUse.Treatment,
        Recipient = recipient,
        Consents = consents,
        At = Now,
    };

    private static void AssertNoCanary(byte[] dump)
    {
        foreach (string canary in new[] { CanaryPatient, CanaryConsent, CanaryRecipient, CanaryCategory, CanaryRecorder })
        {
            Assert.True(dump.AsSpan().IndexOf(Encoding.UTF8.GetBytes(canary)) < 0, $"'{canary}' is in the dump in UTF-8.");
            Assert.True(dump.AsSpan().IndexOf(Encoding.Unicode.GetBytes(canary)) < 0, $"'{canary}' is in the dump in UTF-16.");
        }
    }

    private EfConsentStore Store(bool encryptPlaintextTables = false) => _keys.Store(new LoggerFactory([_logs]).CreateLogger(ConsentStoreLog.Category), encryptPlaintextTables);

    /// <summary>
    /// What an attacker with the database sees: every column of every row of both tables as raw SQL returns it and, on
    /// SQLite, the database file itself (with any journal or WAL).
    /// </summary>
    private IEnumerable<byte[]> Dumps()
    {
        foreach (string table in new[] { ConsentStoreDbContext.ConsentsTable, ConsentStoreDbContext.HistoryTable })
        {
            using var connection = _database.OpenConnection();
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM {table}";
            using var reader = command.ExecuteReader();
            var bytes = new List<byte>();
            while (reader.Read())
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    object value = reader.GetValue(i);
                    bytes.AddRange(value as byte[] ?? Encoding.UTF8.GetBytes(Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty));
                }
            }

            yield return [.. bytes];
        }

        if (_provider == "sqlite")
        {
            SqliteConnection.ClearAllPools();
            string file = new SqliteConnectionStringBuilder(_database.ConnectionString).DataSource;
            foreach (string path in new[] { file, file + "-journal", file + "-wal" }.Where(File.Exists))
            {
                yield return File.ReadAllBytes(path);
            }
        }
    }

    private (byte[] ConsentKey, byte[] Payload) Row(byte[] patientKey)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT consent_key, payload FROM {ConsentStoreDbContext.ConsentsTable} WHERE patient_key = @p";
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@p";
        parameter.Value = patientKey;
        command.Parameters.Add(parameter);
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        return (reader.GetFieldValue<byte[]>(0), reader.GetFieldValue<byte[]>(1));
    }

    private byte[] Payload(byte[] patientKey, byte[] consentKey)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT payload FROM {ConsentStoreDbContext.ConsentsTable} WHERE patient_key = @p AND consent_key = @c";
        foreach (var (name, value) in new[] { ("@p", patientKey), ("@c", consentKey) })
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        return (byte[])command.ExecuteScalar()!;
    }

    private void SetPayload(byte[] patientKey, byte[] consentKey, byte[] payload) =>
        Assert.Equal(1, Execute($"UPDATE {ConsentStoreDbContext.ConsentsTable} SET payload = @payload WHERE patient_key = @p AND consent_key = @c", ("@payload", payload), ("@p", patientKey), ("@c", consentKey)));

    private int Execute(string sql, params (string Name, object? Value)[] parameters) => _database.Execute(sql, parameters);

    /// <summary>The tables as the SDK created them before consents were encrypted.</summary>
    private void CreateLegacyTables()
    {
        string time = _provider == "sqlite" ? "TEXT" : "timestamp with time zone";
        string id = _provider == "sqlite" ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY";
        Execute($"CREATE TABLE hipaa_consents (patient_id varchar(256) NOT NULL, consent_id varchar(256) NOT NULL, kind integer NOT NULL, recipients text NOT NULL, purposes text NOT NULL, categories text NOT NULL, valid_from {time} NOT NULL, valid_until {time} NULL, revoked_at {time} NULL, recorded_at {time} NOT NULL, recorded_by varchar(256) NOT NULL, PRIMARY KEY (patient_id, consent_id))");
        Execute($"CREATE TABLE hipaa_consent_history (id {id}, patient_id varchar(256) NOT NULL, consent_id varchar(256) NOT NULL, change integer NOT NULL, changed_at {time} NOT NULL, changed_by varchar(256) NOT NULL, kind integer NOT NULL, recipients text NOT NULL, purposes text NOT NULL, categories text NOT NULL, valid_from {time} NOT NULL, valid_until {time} NULL, revoked_at {time} NULL)");
        Execute("CREATE INDEX ix_hipaa_consent_history_patient ON hipaa_consent_history (patient_id, id)");
    }

    private void InsertLegacy(string patientId, string consentId, DateTimeOffset revokedAt)
    {
        object Time(DateTimeOffset value) => _provider == "sqlite" ? value.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture) : value;
        string recipients = $"[\"{CanaryRecipient}\"]", purposes = "[\"TREAT\"]", categories = $"[\"{CanaryCategory}\"]";
        Execute(
            "INSERT INTO hipaa_consents (patient_id, consent_id, kind, recipients, purposes, categories, valid_from, valid_until, revoked_at, recorded_at, recorded_by) VALUES (@p, @c, @k, @r, @u, @g, @f, NULL, @x, @a, @b)",
            ("@p", patientId), ("@c", consentId), ("@k", (int)ConsentKind.Part2), ("@r", recipients), ("@u", purposes), ("@g", categories),
            ("@f", Time(Now.AddDays(-30))), ("@x", Time(revokedAt)), ("@a", Time(Now.AddDays(-30))), ("@b", CanaryRecorder));
        foreach (var (change, at, by, revoked) in new[] { (ConsentChangeKind.Recorded, Now.AddDays(-30), CanaryRecorder, (DateTimeOffset?)null), (ConsentChangeKind.Revoked, revokedAt, "u-comp", revokedAt) })
        {
            Execute(
                "INSERT INTO hipaa_consent_history (patient_id, consent_id, change, changed_at, changed_by, kind, recipients, purposes, categories, valid_from, valid_until, revoked_at) VALUES (@p, @c, @h, @a, @b, @k, @r, @u, @g, @f, NULL, @x)",
                ("@p", patientId), ("@c", consentId), ("@h", (int)change), ("@a", Time(at)), ("@b", by), ("@k", (int)ConsentKind.Part2), ("@r", recipients),
                ("@u", purposes), ("@g", categories), ("@f", Time(Now.AddDays(-30))), ("@x", revoked is { } r ? Time(r) : null));
        }
    }
}

public sealed class SqliteEfConsentStoreEncryptionTests() : EfConsentStoreEncryptionTests("sqlite");

public sealed class PostgresEfConsentStoreEncryptionTests() : EfConsentStoreEncryptionTests("postgres");
