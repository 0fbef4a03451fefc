using Hipaa.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.EfCore.Tests.Reading.RedTeam2;

/// <summary>
/// AccessContext.PatientScope: a denied row of a patient outside the scope is refused, not redacted (a redacted row keeps
/// its key and patient id, so it confirms the other patient's record exists). Patient ids are the application's text.
/// </summary>
public abstract class PatientScopeAttackTests(string provider) : ChartsFixture(provider)
{
    [Fact]
    public async Task Read_DeniedRowOfAPatientWhoseIdDiffersFromTheScopeOnlyInCase_IsRefusedNotRedacted()
    {
        // Two patients whose ids differ only in case ("mrn-a" and "MRN-A" are different text, so different patients for
        // the policy's care team); the request was authorized for "mrn-a". The scope matched ignoring case, so the
        // denied row of "MRN-A" came back redacted, with its id: the existence of another patient's record confirmed.
        using (SeedWithSql("mrn-a", "MRN-A"))
        {
        }

        using var host = new EnforcingChartsHost(Database);
        var access = new AccessContext(new Actor("u-ther-1", [WellKnownRoles.Therapist], "practice", ["mrn-a"]), PurposeOfUse.Treatment)
        {
            PatientScope = ["mrn-a"],
        };
        using (AccessContext.Begin(access))
        await using (var db = host.CreateContext())
        {
            Assert.Equal("imported", (await db.Charts.AsNoTracking().SingleAsync(c => c.Id == "mrn-a")).Name);
            await Assert.ThrowsAsync<PhiAccessDeniedException>(() => db.Charts.AsNoTracking().SingleAsync(c => c.Id == "MRN-A"));
        }
    }

    /// <summary>An application over <see cref="ChartsDb"/> with policy enforcement (the database seeded before).</summary>
    private sealed class EnforcingChartsHost : IDisposable
    {
        private readonly ServiceProvider _services;

        public EnforcingChartsHost(TestDatabase database)
        {
            var services = new ServiceCollection();
            services.AddHipaa()
                .AddQueryAuditing(o => o.SealInterval = TimeSpan.FromMinutes(10))
                .UseAuditStore(database.Use)
                .UseLocalDevelopmentCheckpointSigner(Hipaa.EfCore.LoadDriver.LoadHost.SignerPath);
            services.AddHipaa().AddPolicyEnforcement(_ => { });
            services.AddDbContextFactory<ChartsDb>((sp, options) => database.Use(options.UseHipaa(sp)));
            _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        }

        public ChartsDb CreateContext() => _services.GetRequiredService<IDbContextFactory<ChartsDb>>().CreateDbContext();

        public void Dispose() => _services.Dispose();
    }
}

public sealed class SqlitePatientScopeAttackTests() : PatientScopeAttackTests("sqlite");

public sealed class PostgresPatientScopeAttackTests() : PatientScopeAttackTests("postgres");
