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
/// entity are exactly the patients whose values of that entity were returned. For generated groupings by patient — the
/// patient id, a composite key holding it, the patient through the navigation; key, aggregates of PHI or both; filtered,
/// kept by a minimum count, ordered and paged — the patients recorded are exactly those whose groups were returned.
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

    [Fact]
    public void Read_AnyGeneratedGroupingByPatient_RecordsExactlyThePatientsWhoseGroupsWereReturned()
    {
        using var host = new ShapesHost(_database);
        var cases =
            from patients in Gen.Choose(1, 7)
            from key in Gen.Elements(Enum.GetValues<GroupKey>())
            from values in Gen.Elements(Enum.GetValues<GroupValues>())
            from longVisitsOnly in Gen.Elements(false, true)
            from minimumCount in Gen.Choose(0, 2)
            from skip in Gen.Choose(0, 2)
            from take in Gen.Choose(0, 4)
            from tracking in Gen.Elements(false, true)
            select new GroupShape(patients, key, values, longVisitsOnly, minimumCount, skip, take, tracking);

        Prop.ForAll(cases.ToArbitrary(), shape => Check(host, shape)).QuickCheckThrowOnFailure();
    }

    private static bool Check(ShapesHost host, GroupShape shape)
    {
        var before = host.Records().Count;
        int rows;
        using (AccessContext.Begin(ShapesHost.Therapist()))
        using (var context = host.CreateContext())
        {
            rows = Query(context, shape).Count;
        }

        // The groups that exist (one per patient, or one per patient and length of visit), those the minimum count keeps,
        // in patient order, paged: the patients whose groups came back.
        var groupsPerPatient = shape.Key == GroupKey.PatientAndMinutes && !shape.LongVisitsOnly ? 2 : 1;
        var visitsPerGroup = shape.Key == GroupKey.PatientAndMinutes || shape.LongVisitsOnly ? 1 : 2;
        var groups = visitsPerGroup >= shape.MinimumCount
            ? Selected(shape.PatientMask).SelectMany(p => Enumerable.Repeat(p, groupsPerPatient)).ToList()
            : [];
        var returned = groups.Skip(shape.Skip).Take(shape.Take == 0 ? int.MaxValue : shape.Take).ToList();
        Assert.Equal(returned.Count, rows);

        var reads = host.Records().Skip(before).ToList();
        Assert.All(reads, r => Assert.Equal((AuditAction.Read, "Visit"), (r.Action, r.Entity)));
        Assert.DoesNotContain(reads, r => r.PatientId is null);
        Assert.Equal(returned.Distinct().Order(), Recorded(reads, "Visit"));
        Assert.Equal(reads.Count, reads.Select(r => r.PatientId).Distinct().Count()); // one record per patient per access
        return true;
    }

    private static List<object?[]> Query(ShapesDb context, GroupShape shape)
    {
        var ids = Selected(shape.PatientMask).Select(Guid.Parse).ToList();
        var visits = (shape.Tracking ? context.Visits : context.Visits.AsNoTracking()).Where(v => ids.Contains(v.MemberId));
        if (shape.LongVisitsOnly)
        {
            visits = visits.Where(v => v.Minutes > 40);
        }

        return shape.Key switch
        {
            GroupKey.PatientId => Grouped(visits.GroupBy(v => v.MemberId), g => g.Key, shape),
            GroupKey.PatientAndMinutes => Grouped(visits.GroupBy(v => new { v.MemberId, v.Minutes }), g => g.Key.MemberId, shape),
            _ => Grouped(visits.GroupBy(v => v.Member!.Id), g => g.Key, shape),
        };
    }

    private static List<object?[]> Grouped<TKey>(IQueryable<IGrouping<TKey, Visit>> groups, Expression<Func<IGrouping<TKey, Visit>, Guid>> patient, GroupShape shape)
    {
        var minimum = shape.MinimumCount;
        var kept = groups.Where(g => g.Count() >= minimum).OrderBy(patient).Skip(shape.Skip);
        if (shape.Take > 0)
        {
            kept = kept.Take(shape.Take);
        }

        IQueryable<object?[]> projected = shape.Values switch
        {
            GroupValues.KeyAndCount => kept.Select(g => new object?[] { g.Key, g.Count() }),
            GroupValues.CountOnly => kept.Select(g => new object?[] { g.Count() }),
            GroupValues.KeyOnly => kept.Select(g => new object?[] { g.Key }),
            _ => kept.Select(g => new object?[] { g.Max(v => v.Text), g.Sum(v => v.Minutes) }),
        };
        return [.. projected];
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

    public enum GroupKey
    {
        PatientId,
        PatientAndMinutes,
        PatientThroughTheNavigation,
    }

    public enum GroupValues
    {
        KeyAndCount,
        CountOnly,
        KeyOnly,
        TextAndMinutes,
    }

    public sealed record GroupShape(int PatientMask, GroupKey Key, GroupValues Values, bool LongVisitsOnly, int MinimumCount, int Skip, int Take, bool Tracking)
    {
        public override string ToString() =>
            $"{Key} of patients {PatientMask} → {Values}{(LongVisitsOnly ? ", long visits" : string.Empty)}, count ≥ {MinimumCount}, skip {Skip}, take {Take}{(Tracking ? ", tracking" : string.Empty)}";
    }

    public sealed record Shape(int VisitMask, int MemberMask, string[] VisitFields, string[] MemberFields, Reach Reach, bool Tracking)
    {
        public override string ToString() =>
            $"{Reach} visits {VisitMask} members {MemberMask} [{string.Join(",", VisitFields)}] [{string.Join(",", MemberFields)}]{(Tracking ? " tracking" : string.Empty)}";
    }
}

public sealed class SqliteProjectionAttributionPropertyTests() : ProjectionAttributionPropertyTests("sqlite");

public sealed class PostgresProjectionAttributionPropertyTests() : ProjectionAttributionPropertyTests("postgres");
