using System.Linq.Expressions;
using FsCheck;
using FsCheck.Fluent;
using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading;

/// <summary>
/// For generated projections — random subsets of the PHI values of a visit and of a member, reached through the
/// navigation, a correlated join or a cross join with other patients, over 1–3 patients — the patients recorded for each
/// entity are exactly the patients whose values of that entity were returned.
/// </summary>
public abstract class ProjectionAttributionPropertyTests : IDisposable
{
    private const int Runs = 25;
    private static readonly Guid[] Patients = [ShapesHost.A, ShapesHost.B, ShapesHost.C];
    private static readonly string[] VisitFields = ["Text", "Minutes", "Id"];
    private static readonly string[] MemberFields = ["Name", "BirthYear", "Home.Street", "Home"];
    private readonly TestDatabase _database;

    protected ProjectionAttributionPropertyTests(string provider) => _database = TestDatabase.Create(provider);

    public enum Reach
    {
        Navigation,
        CorrelatedJoin,
        CrossJoin,
    }

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void Read_AnyGeneratedProjection_RecordsExactlyThePatientsWhoseValuesWereReturned()
    {
        using var host = new ShapesHost(_database);
        var cases =
            from visits in Gen.Choose(1, 7)
            from members in Gen.Choose(1, 7)
            from visitFields in Gen.SubListOf(VisitFields)
            from memberFields in Gen.SubListOf(MemberFields)
            from reach in Gen.Elements(Enum.GetValues<Reach>())
            from tracking in Gen.Elements(false, true)
            where visitFields.Count + memberFields.Count > 0
            select new Shape(visits, reach == Reach.CrossJoin ? members : visits, [.. visitFields], [.. memberFields], reach, tracking);

        Prop.ForAll(cases.ToArbitrary(), shape => Check(host, shape)).QuickCheckThrowOnFailure();
    }

    private static bool Check(ShapesHost host, Shape shape)
    {
        var before = host.Records().Count;
        int rows;
        using (AccessContext.Begin(ShapesHost.Therapist()))
        using (var context = host.CreateContext())
        {
            rows = Query(context, shape).Count;
        }

        var visitPatients = Selected(shape.VisitMask);
        var memberPatients = Selected(shape.MemberMask);
        Assert.Equal(2 * visitPatients.Count * (shape.Reach == Reach.CrossJoin ? memberPatients.Count : 1), rows);

        var reads = host.Records().Skip(before).ToList();
        Assert.All(reads, r => Assert.Equal(AuditAction.Read, r.Action));
        Assert.DoesNotContain(reads, r => r.PatientId is null);
        Assert.Equal(shape.VisitFields.Length > 0 ? visitPatients : [], Recorded(reads, "Visit"));
        Assert.Equal(shape.MemberFields.Length > 0 ? memberPatients : [], Recorded(reads, "Member"));
        return true;
    }

    private static List<object?[]> Query(ShapesDb context, Shape shape)
    {
        var visitIds = Selected(shape.VisitMask).Select(Guid.Parse).ToList();
        var memberIds = Selected(shape.MemberMask).Select(Guid.Parse).ToList();
        var visits = shape.Tracking ? context.Visits : context.Visits.AsNoTracking();
        visits = visits.Where(v => visitIds.Contains(v.MemberId));
        var v = Expression.Parameter(typeof(Visit), "v");
        if (shape.Reach == Reach.Navigation)
        {
            var member = Expression.Property(v, nameof(Visit.Member));
            return [.. visits.Select(Expression.Lambda<Func<Visit, object?[]>>(Values(shape, v, member), v))];
        }

        var m = Expression.Parameter(typeof(Member), "m");
        var selector = Expression.Lambda<Func<Visit, Member, object?[]>>(Values(shape, v, m), v, m);
        return shape.Reach == Reach.CorrelatedJoin
            ? [.. visits.Join(context.Members, x => x.MemberId, y => y.Id, selector)]
            : [.. visits.SelectMany(_ => context.Members.Where(y => memberIds.Contains(y.Id)), selector)];
    }

    private static NewArrayExpression Values(Shape shape, Expression visit, Expression member) =>
        Expression.NewArrayInit(
            typeof(object),
            shape.VisitFields.Select(f => Path(visit, f)).Concat(shape.MemberFields.Select(f => Path(member, f))).Select(e => Expression.Convert(e, typeof(object))));

    private static Expression Path(Expression source, string path) =>
        path.Split('.').Aggregate(source, (e, name) => Expression.Property(e, name));

    private static List<string> Selected(int mask) =>
        [.. Enumerable.Range(0, 3).Where(i => (mask & (1 << i)) != 0).Select(i => Patients[i].ToString()).Order()];

    private static List<string> Recorded(List<AuditEntry> reads, string entity) =>
        [.. reads.Where(r => r.Entity == entity).Select(r => r.PatientId!).Distinct().Order()];

    public sealed record Shape(int VisitMask, int MemberMask, string[] VisitFields, string[] MemberFields, Reach Reach, bool Tracking)
    {
        public override string ToString() =>
            $"{Reach} visits {VisitMask} members {MemberMask} [{string.Join(",", VisitFields)}] [{string.Join(",", MemberFields)}]{(Tracking ? " tracking" : string.Empty)}";
    }
}

public sealed class SqliteProjectionAttributionPropertyTests() : ProjectionAttributionPropertyTests("sqlite");

public sealed class PostgresProjectionAttributionPropertyTests() : ProjectionAttributionPropertyTests("postgres");
