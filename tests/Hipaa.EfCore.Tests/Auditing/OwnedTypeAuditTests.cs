using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Auditing;

/// <summary>
/// A change to an owned entity of a PHI entity (OwnsOne in the owner's table or its own, OwnsMany) is a change to the
/// owner: recorded as the owner's Update (or part of its Create/Delete), for the owner's patient, in the same SaveChanges.
/// </summary>
public abstract class OwnedTypeAuditTests : IDisposable
{
    private readonly TestDatabase _database;

    protected OwnedTypeAuditTests(string provider) => _database = TestDatabase.Create(provider);

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task SaveChanges_PropertyOfAnOwnedTypeInTheOwnersTable_IsRecordedAsAnUpdateOfTheOwner()
    {
        using var host = new ModelHost<ResidentDb>(_database);
        var resident = await AddResidentAsync(host);
        var before = host.Records().Count;
        using (AccessContext.Begin(AuditHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            var tracked = await context.Residents.SingleAsync();
            tracked.Home.Street = "2 Elm Street";
            await context.SaveChangesAsync();
        }

        var update = Assert.Single(host.Records().Skip(before), r => r.Action != AuditAction.Read);
        Assert.Equal((AuditAction.Update, "Resident", "Demographics"), (update.Action, update.Entity, update.Categories));
        Assert.Equal(resident.Id.ToString(), update.PatientId);
        Assert.Equal(["Home.Street"], update.Fields.Split(AuditEntry.ListSeparator));
        Assert.Equal(resident.Id.ToString(), update.RecordKeys);
        Assert.Equal(1, update.RowCount);
        Assert.Equal("u-ther-1", update.ActorId);
    }

    [Fact]
    public async Task SaveChanges_PropertyOfAnOwnedTypeInItsOwnTable_IsRecordedAsAnUpdateOfTheOwner()
    {
        using var host = new ModelHost<ResidentDb>(_database);
        var resident = await AddResidentAsync(host);
        var before = host.Records().Count;
        using (AccessContext.Begin(AuditHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            var tracked = await context.Residents.SingleAsync();
            tracked.Mailing!.City = "Springfield";
            tracked.Contacts[0].Phone = "555-0199";
            await context.SaveChangesAsync();
        }

        var update = Assert.Single(host.Records().Skip(before), r => r.Action != AuditAction.Read);
        Assert.Equal((AuditAction.Update, "Resident", resident.Id.ToString()), (update.Action, update.Entity, update.PatientId));
        Assert.Equal(["Contacts.Phone", "Mailing.City"], update.Fields.Split(AuditEntry.ListSeparator));
        Assert.Equal(1, update.RowCount);
    }

    [Fact]
    public async Task SaveChanges_OwnedEntitiesAddedAndRemoved_AreRecordedAsAnUpdateOfTheOwner()
    {
        using var host = new ModelHost<ResidentDb>(_database);
        var resident = await AddResidentAsync(host, withMailing: false);
        var before = host.Records().Count;
        using (AccessContext.Begin(AuditHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            var tracked = await context.Residents.SingleAsync();
            tracked.Mailing = new Address { Street = "PO Box 9", City = "Shelbyville" };
            tracked.Contacts.Add(new EmergencyContact { Name = "Second contact", Phone = "555-0102" });
            await context.SaveChangesAsync();
        }

        var added = Assert.Single(host.Records().Skip(before), r => r.Action != AuditAction.Read);
        Assert.Equal((AuditAction.Update, "Resident", resident.Id.ToString()), (added.Action, added.Entity, added.PatientId));
        Assert.Equal(["Contacts.Name", "Contacts.Phone", "Mailing.City", "Mailing.Street"], added.Fields.Split(AuditEntry.ListSeparator));

        before = host.Records().Count;
        using (AccessContext.Begin(AuditHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            var tracked = await context.Residents.SingleAsync();
            tracked.Contacts.RemoveAt(0);
            tracked.Mailing = null;
            await context.SaveChangesAsync();
        }

        var removed = Assert.Single(host.Records().Skip(before), r => r.Action != AuditAction.Read);
        Assert.Equal((AuditAction.Update, "Resident", resident.Id.ToString()), (removed.Action, removed.Entity, removed.PatientId));
        Assert.Equal(["Contacts.Name", "Contacts.Phone", "Mailing.City", "Mailing.Street"], removed.Fields.Split(AuditEntry.ListSeparator));
        await using (var context = host.CreateContext())
        {
            using var _ = AccessContext.Begin(AuditHost.Therapist());
            var stored = await context.Residents.AsNoTracking().SingleAsync();
            Assert.Null(stored.Mailing);
            Assert.Single(stored.Contacts);
        }
    }

    [Fact]
    public async Task SaveChanges_NewOwnerWithOwnedValues_RecordsOneCreateNamingTheOwnedFields()
    {
        using var host = new ModelHost<ResidentDb>(_database);
        var resident = await AddResidentAsync(host);

        var create = Assert.Single(host.Records());
        Assert.Equal((AuditAction.Create, "Resident", resident.Id.ToString()), (create.Action, create.Entity, create.PatientId));
        Assert.Equal(1, create.RowCount);
        var fields = create.Fields.Split(AuditEntry.ListSeparator);
        Assert.Contains("DisplayName", fields);
        Assert.Contains("Home.Street", fields);
        Assert.Contains("Mailing.City", fields);
        Assert.Contains("Contacts.Phone", fields);
        Assert.DoesNotContain(fields, f => f.StartsWith("Contacts.Id", StringComparison.Ordinal) || f.EndsWith(".ResidentId", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SaveChanges_DeletedOwnerWithOwnedValues_RecordsOnlyTheOwnersDelete()
    {
        using var host = new ModelHost<ResidentDb>(_database);
        var resident = await AddResidentAsync(host);
        var before = host.Records().Count;
        using (AccessContext.Begin(AuditHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            context.Remove(await context.Residents.SingleAsync());
            await context.SaveChangesAsync();
        }

        var delete = Assert.Single(host.Records().Skip(before), r => r.Action != AuditAction.Read);
        Assert.Equal((AuditAction.Delete, "Resident", resident.Id.ToString()), (delete.Action, delete.Entity, delete.PatientId));
        Assert.Equal(1, delete.RowCount);
    }

    [Fact]
    public async Task SaveChanges_OwnedChangeOfAnEntityWhosePatientIdIsNotItsKey_IsRecordedForThatPatient()
    {
        using var host = new ModelHost<ResidentDb>(_database);
        var resident = await AddResidentAsync(host);
        var visit = new Visit { Id = Guid.NewGuid(), ResidentId = resident.Id, Location = new Address { Street = "Ward 3", City = "Springfield" } };
        using (AccessContext.Begin(AuditHost.Therapist()))
        {
            await using (var context = host.CreateContext())
            {
                context.Add(visit);
                await context.SaveChangesAsync();
            }

            var before = host.Records().Count;
            await using (var context = host.CreateContext())
            {
                var tracked = await context.Visits.SingleAsync();
                tracked.Location.Street = "Ward 4";
                await context.SaveChangesAsync();
            }

            var update = Assert.Single(host.Records().Skip(before), r => r.Action != AuditAction.Read);
            Assert.Equal((AuditAction.Update, "Visit", "Encounter"), (update.Action, update.Entity, update.Categories));
            Assert.Equal(resident.Id.ToString(), update.PatientId);
            Assert.Equal(visit.Id.ToString(), update.RecordKeys);
            Assert.Equal(["Location.Street"], update.Fields.Split(AuditEntry.ListSeparator));
        }
    }

    [Fact]
    public async Task SaveChanges_OwnedChangeWhenTheAuditTableRejectsTheRow_RollsBackTheChange()
    {
        using var host = new ModelHost<ResidentDb>(_database);
        var resident = await AddResidentAsync(host);
        _database.Execute("DROP TABLE \"hipaa_audit\"");
        using (AccessContext.Begin(AuditHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            // Attached as the application holds it from an earlier request (an audited read would fail now).
            var tracked = context.Residents.Attach(new Resident
            {
                Id = resident.Id,
                DisplayName = resident.DisplayName,
                Home = new Address { Street = resident.Home.Street, City = resident.Home.City },
            }).Entity;
            tracked.Home.Street = "changed";
            await Assert.ThrowsAsync<DbUpdateException>(() => context.SaveChangesAsync());
        }

        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT \"Home_Street\" FROM \"Residents\"";
        Assert.Equal("1 Main Street", command.ExecuteScalar());
    }

    private static async Task<Resident> AddResidentAsync(ModelHost<ResidentDb> host, bool withMailing = true)
    {
        var resident = new Resident
        {
            Id = Guid.NewGuid(),
            DisplayName = "R. Example",
            Home = new Address { Street = "1 Main Street", City = "Springfield" },
            Mailing = withMailing ? new Address { Street = "PO Box 1", City = "Capital City" } : null,
            Contacts = [new EmergencyContact { Name = "First contact", Phone = "555-0101" }],
        };
        using (AccessContext.Begin(AuditHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            context.Add(resident);
            await context.SaveChangesAsync();
        }

        return resident;
    }
}

public sealed class SqliteOwnedTypeAuditTests() : OwnedTypeAuditTests("sqlite");

public sealed class PostgresOwnedTypeAuditTests() : OwnedTypeAuditTests("postgres");
