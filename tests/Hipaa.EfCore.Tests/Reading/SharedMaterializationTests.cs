using Hipaa.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Hipaa.EfCore.Tests.Reading;

/// <summary>
/// A projection reading several values of one PHI entity materializes that entity once per row — not once per value —
/// and still returns the right values and records the right patients, also when it mixes in columns of a non-PHI entity,
/// captured variables and client code.
/// </summary>
public abstract class SharedMaterializationTests : IDisposable
{
    private static readonly string A = ShapesHost.A.ToString(), B = ShapesHost.B.ToString(), C = ShapesHost.C.ToString();
    private readonly TestDatabase _database;
    // One interceptor instance for every test: each new instance in the options would make EF Core build another internal
    // service provider, and past twenty in one process it refuses (ManyServiceProvidersCreatedWarning). Counts are per async flow.
    private static readonly Counter SharedCounter = new();
    private readonly Counter.Counts _counter = new();

    protected SharedMaterializationTests(string provider) => _database = TestDatabase.Create(provider);

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Read_DtoOfFourValuesOfOneEntity_MaterializesItOncePerRow()
    {
        using var host = new ShapesHost(_database, interceptor: SharedCounter);
        var rows = await CountedAsync(host, db => db.Members.AsNoTracking()
            .Select(m => new MemberRow { Id = m.Id, Name = m.Name, BirthYear = m.BirthYear, Street = m.Home!.Street })
            .ToListAsync());

        Assert.Equal(3, rows.Count);
        Assert.Equal(3, _counter.Members);
        Assert.Equal(0, _counter.Visits);
        Assert.Equal(["Ada", "Bea", "Cy"], rows.Select(r => r.Name).Order());
        Assert.Equal("1 Elm St", rows.Single(r => r.Name == "Ada").Street);
        Assert.Null(rows.Single(r => r.Name == "Cy").Street); // no address: null, as SQL's NULL propagation gives
    }

    [Fact]
    public async Task Read_ProjectionOverANoteAndItsPatient_MaterializesEachOncePerRowAndRecordsBoth()
    {
        using var host = new ShapesHost(_database, interceptor: SharedCounter);
        var before = host.Records().Count;
        var rows = await CountedAsync(host, db => db.Visits.AsNoTracking()
            .Select(v => new { v.Text, v.Minutes, Patient = v.Member!.Name, Born = v.Member.BirthYear })
            .ToListAsync());

        Assert.Equal(6, rows.Count);
        Assert.Equal(6, _counter.Visits);
        Assert.Equal(6, _counter.Members);
        var reads = host.Records().Skip(before).Where(r => r.Action == AuditAction.Read).ToList();
        Assert.Equal([("Member", A), ("Member", B), ("Member", C), ("Visit", A), ("Visit", B), ("Visit", C)], reads.Select(r => (r.Entity, r.PatientId!)).Order());
    }

    [Fact]
    public async Task Read_ProjectionMixingPhiValuesWithACapturedVariableAndClientCode_ReturnsTheRightValues()
    {
        using var host = new ShapesHost(_database, interceptor: SharedCounter);
        var suffix = " (seen)";
        var rows = await CountedAsync(host, db => db.Members.AsNoTracking()
            .OrderBy(m => m.Name)
            .Select(m => new { Label = m.Name.ToUpperInvariant() + suffix, Age = 2026 - m.BirthYear, m.Id })
            .ToListAsync());

        Assert.Equal(["ADA (seen)", "BEA (seen)", "CY (seen)"], rows.Select(r => r.Label));
        Assert.Equal(3, _counter.Members);
        Assert.Equal([ShapesHost.A, ShapesHost.B, ShapesHost.C], rows.Select(r => r.Id));
    }

    [Fact]
    public async Task Read_JoinOfAPhiEntityWithANonPhiEntity_ReadsTheOtherColumnsFromTheRow()
    {
        using var host = new ShapesHost(_database, interceptor: SharedCounter);
        var rows = await CountedAsync(host, db => (
            from m in db.Members.AsNoTracking()
            from c in db.Clinics
            select new { m.Name, Clinic = c.Name, c.Id }).ToListAsync());

        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Equal(("North", 1), (r.Clinic, r.Id)));
        Assert.Equal(3, _counter.Members);
    }

    private async Task<List<T>> CountedAsync<T>(ShapesHost host, Func<ShapesDb, Task<List<T>>> query)
    {
        using (AccessContext.Begin(ShapesHost.Therapist()))
        using (var db = host.CreateContext())
        {
            Counter.Current.Value = _counter;
            _counter.Reset();
            return await query(db);
        }
    }

    public sealed class MemberRow
    {
        public Guid Id { get; init; }

        public string Name { get; init; } = string.Empty;

        public int BirthYear { get; init; }

        public string? Street { get; init; }
    }

    /// <summary>Counts the entity instances EF Core materializes, per type, into the counts of the current async flow.</summary>
    private sealed class Counter : IMaterializationInterceptor
    {
        public static readonly AsyncLocal<Counts?> Current = new();

        public object InitializedInstance(MaterializationInterceptionData materializationData, object entity)
        {
            if (Current.Value is { } counts)
            {
                if (entity is Member)
                {
                    counts.Members++;
                }
                else if (entity is Visit)
                {
                    counts.Visits++;
                }
            }

            return entity;
        }

        public sealed class Counts
        {
            public int Members { get; set; }

            public int Visits { get; set; }

            public void Reset() => (Members, Visits) = (0, 0);
        }
    }
}

public sealed class SqliteSharedMaterializationTests() : SharedMaterializationTests("sqlite");

public sealed class PostgresSharedMaterializationTests() : SharedMaterializationTests("postgres");
