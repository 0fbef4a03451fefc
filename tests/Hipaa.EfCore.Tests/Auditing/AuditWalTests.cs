using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Hipaa.EfCore.Tests.Auditing;

/// <summary>
/// On a SQLite file in WAL mode, audited reads commit their records while their own reader is open. The writer does not
/// checkpoint on those commits (it could never complete one); the sealing loop's checkpoint, run between queries, must
/// then let SQLite restart the WAL, so it stops growing.
/// </summary>
public sealed class AuditWalTests : IDisposable
{
    private readonly TestDatabase _database = TestDatabase.Create("sqlite");

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task RecordsCommittedUnderOpenReaders_DoNotGrowTheWalOnceTheSealingLoopCheckpoints()
    {
        using var host = new AuditHost(_database);
        var walPath = new SqliteConnectionStringBuilder(_database.ConnectionString).DataSource + "-wal";
        Assert.Equal("wal", Scalar("PRAGMA journal_mode"));

        AppendUnderOpenReaders(host, 300);
        var afterFirstRound = new FileInfo(walPath).Length;
        await host.Runtime.Sealing!.CheckpointAsync(CancellationToken.None);

        AppendUnderOpenReaders(host, 300);
        var afterSecondRound = new FileInfo(walPath).Length;

        // The second round reused the WAL from its start instead of appending 300 more commits to it (which would double
        // it); it may end a little longer, as the table and its indexes have grown.
        Assert.True(afterFirstRound > 0, "the first round wrote to the WAL");
        Assert.True(afterSecondRound < afterFirstRound * 3 / 2, $"WAL grew from {afterFirstRound} to {afterSecondRound} bytes after a checkpoint");
        Assert.Equal(600L, long.Parse(Scalar("SELECT COUNT(*) FROM hipaa_audit WHERE actor_id = 'u-wal'"), System.Globalization.CultureInfo.InvariantCulture));
    }

    private void AppendUnderOpenReaders(AuditHost host, int count)
    {
        var access = new AccessContext(new Hipaa.Policy.Actor("u-wal", [Hipaa.Policy.WellKnownRoles.Therapist], "practice", []), Hipaa.Policy.PurposeOfUse.Treatment);
        using var reader = _database.OpenConnection();
        for (var i = 0; i < count; i++)
        {
            // As an audited query does: its reader is open while its record commits.
            using var command = reader.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM hipaa_audit";
            using var open = command.ExecuteReader();
            Assert.True(open.Read());
            host.Runtime.Writer.Append([host.Runtime.NewEntry(access, AuditAction.Read, "Note", "p-" + i)]);
        }
    }

    private string Scalar(string sql)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture)!;
    }
}
