using Hipaa.Policy;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Hipaa.AspNetCore.Tests.DependencyInjection;

/// <summary>Registration: safe twice, the engine over the options' catalog, and options validated listing every problem.</summary>
public sealed class PhiAuthorizationHipaaBuilderExtensionsTests
{
    [Fact]
    public async Task AddPhiAuthorization_CalledTwice_RegistersEachPieceOnceAndKeepsBothConfigurations()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddRouting();
        services.AddHipaa().AddPhiAuthorization(o => o.RequireMfa = true).AddPhiAuthorization(o => o.SharedAccounts.Add("kiosk"));

        Assert.Equal(1, services.Count(d => d.ServiceType == typeof(PhiAuthorizationMarker)));
        Assert.Equal(1, services.Count(d => d.ServiceType == typeof(IAuthorizationHandler) && d.ImplementationType == typeof(PhiRequirementHandler)));
        Assert.Equal(1, services.Count(d => d.ServiceType == typeof(IAuthorizationHandler) && d.ImplementationType == typeof(PhiResourceHandler)));
        using ServiceProvider provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
        PhiAuthorizationOptions options = provider.GetRequiredService<IOptions<PhiAuthorizationOptions>>().Value;
        Assert.True(options.RequireMfa);
        Assert.Contains("kiosk", options.SharedAccounts);
        Assert.NotNull(await provider.GetRequiredService<IAuthorizationPolicyProvider>().GetPolicyAsync("phi:Claim:Read"));
        Assert.IsType<PhiAuthorizationMiddlewareResultHandler>(provider.GetRequiredService<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler>());
    }

    [Fact]
    public void AddPhiAuthorization_Engine_UsesTheCatalogOfTheOptions()
    {
        var services = new ServiceCollection();
        services.AddHipaa().AddPhiAuthorization(o => o.Catalog.Grant(WellKnownRoles.Therapist, DataCategory.Medication, PhiAction.Read));
        using ServiceProvider provider = services.BuildServiceProvider();

        AccessDecision decision = provider.GetRequiredService<PolicyEngine>().Decide(new AccessRequest
        {
            Actor = new Actor("u-ther", [WellKnownRoles.Therapist], careTeamOf: ["p1"]),
            PatientId = "p1",
            Category = DataCategory.Medication,
            Action = PhiAction.Read,
            Purpose = PurposeOfUse.Treatment,
            At = DateTimeOffset.UnixEpoch,
        });

        Assert.True(decision.IsPermitted);
    }

    [Fact]
    public void AddPhiAuthorization_EngineAlreadyRegistered_IsShared()
    {
        var engine = new PolicyEngine(RoleCatalog.CreateDefault());
        var services = new ServiceCollection();
        services.AddSingleton(engine);
        services.AddHipaa().AddPhiAuthorization();
        using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Same(engine, provider.GetRequiredService<PolicyEngine>());
    }

    [Fact]
    public void AddPhiAuthorization_FromConfiguration_BindsTheOptions()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["RequireMfa"] = "true",
                ["IdleTimeout"] = "00:10:00",
                ["PurposeOfUseHeader"] = "X-Purpose",
                ["SharedAccounts:0"] = "kiosk",
            })
            .Build();
        var services = new ServiceCollection();
        services.AddHipaa().AddPhiAuthorization(configuration);
        using ServiceProvider provider = services.BuildServiceProvider();

        PhiAuthorizationOptions options = provider.GetRequiredService<IOptions<PhiAuthorizationOptions>>().Value;

        Assert.True(options.RequireMfa);
        Assert.Equal(TimeSpan.FromMinutes(10), options.IdleTimeout);
        Assert.Equal("X-Purpose", options.PurposeOfUseHeader);
        Assert.Contains("kiosk", options.SharedAccounts);
    }

    [Fact]
    public void Validate_MisconfiguredOptions_ListsEveryProblemWithTheValueSeen()
    {
        var services = new ServiceCollection();
        services.AddHipaa().AddPhiAuthorization(o =>
        {
            o.UserIdClaimTypes.Clear();
            o.RoleClaimTypes.Add(" ");
            o.OrganizationClaimType = "";
            o.CareTeamClaimType = " ";
            o.RequireMfa = true;
            o.AcceptedMfaMethods.Clear();
            o.PurposeOfUseHeader = "X Purpose";
            o.MaxBreakGlassReasonLength = 0;
            o.IdleTimeout = TimeSpan.FromMinutes(-5);
            o.DefaultPurposeOfUse["Therapsit"] = "TREAT";
            o.DefaultPurposeOfUse[WellKnownRoles.Billing] = "TREAT";
            o.SharedAccounts.Add("");
            o.Catalog.Grant("Nurze", DataCategory.ProgressNote, PhiAction.Read);
            o.DeniedRecords = (PhiDeniedRecordResponse)7;
        });
        using ServiceProvider provider = services.BuildServiceProvider();

        var exception = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PhiAuthorizationOptions>>().Value);

        string[] expected =
        [
            "UserIdClaimTypes is empty",
            "RoleClaimTypes contains an empty claim type",
            "OrganizationClaimType is ''",
            "CareTeamClaimType is ' '",
            "AcceptedMfaMethods is []",
            "PurposeOfUseHeader is 'X Purpose'",
            "MaxBreakGlassReasonLength is 0",
            "IdleTimeout is -00:05:00",
            "DefaultPurposeOfUse names role 'Therapsit'",
            "DefaultPurposeOfUse['Billing'] is 'TREAT'",
            "SharedAccounts contains an empty user id",
            "Catalog: Role 'Nurze'",
            "DeniedRecords is 7",
        ];
        foreach (string problem in expected)
        {
            Assert.Contains(exception.Failures, f => f.Contains(problem, StringComparison.Ordinal));
        }

        Assert.Equal(expected.Length, exception.Failures.Count());
    }

    [Fact]
    public async Task StartAsync_HostWithInvalidOptions_FailsAtStartUp()
    {
        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            Infrastructure.PatientApiHost.StartAsync(o => o.Catalog.Grant("Therapsit", DataCategory.ProgressNote, PhiAction.Read)));

        Assert.Contains(exception.Failures, f => f.Contains("'Therapsit'", StringComparison.Ordinal));
    }

    [Fact]
    public void UseHipaaAccessContext_WithoutAddPhiAuthorization_NamesTheMissingCall()
    {
        using ServiceProvider services = new ServiceCollection().AddLogging().BuildServiceProvider();
        var app = new Microsoft.AspNetCore.Builder.ApplicationBuilder(services);

        var exception = Assert.Throws<InvalidOperationException>(() => Microsoft.AspNetCore.Builder.HipaaAccessContextApplicationBuilderExtensions.UseHipaaAccessContext(app));

        Assert.Contains("AddPhiAuthorization()", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_DefaultOptions_HaveNoProblem()
    {
        ValidateOptionsResult result = new PhiAuthorizationOptionsValidator().Validate(null, new PhiAuthorizationOptions());

        Assert.True(result.Succeeded, result.FailureMessage);
    }
}
