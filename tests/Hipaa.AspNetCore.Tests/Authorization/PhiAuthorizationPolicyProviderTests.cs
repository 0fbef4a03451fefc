using Hipaa.Policy;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hipaa.AspNetCore.Tests.Authorization;

/// <summary>Policy names <c>phi:{Category}:{Action}</c> resolve for the catalog's categories; everything else is the previous provider's.</summary>
public sealed class PhiAuthorizationPolicyProviderTests
{
    [Fact]
    public async Task GetPolicyAsync_PhiName_RequiresAuthenticatedUserAndTheCategoryRequirement()
    {
        using ServiceProvider services = Services();
        var provider = services.GetRequiredService<IAuthorizationPolicyProvider>();

        AuthorizationPolicy? policy = await provider.GetPolicyAsync("phi:ProgressNote:Read");

        Assert.NotNull(policy);
        Assert.Contains(policy.Requirements, r => r is DenyAnonymousAuthorizationRequirement);
        PhiRequirement requirement = Assert.Single(policy.Requirements.OfType<PhiRequirement>());
        Assert.Equal(DataCategory.ProgressNote, requirement.Category);
        Assert.Equal(PhiAction.Read, requirement.Action);
        Assert.Equal("phi:ProgressNote:Read", requirement.ToString());
    }

    [Theory]
    [InlineData("phi:ProgresNote:Read")]
    [InlineData("phi:ProgressNote:Fly")]
    [InlineData("phi:ProgressNote:read")]
    [InlineData("phi:ProgressNote:1")]
    [InlineData("phi:*:Read")]
    [InlineData("phi::Read")]
    [InlineData("phi:ProgressNote")]
    [InlineData("other")]
    public async Task GetPolicyAsync_MalformedOrUnknownName_GivesNoPolicy(string name)
    {
        using ServiceProvider services = Services();

        AuthorizationPolicy? policy = await services.GetRequiredService<IAuthorizationPolicyProvider>().GetPolicyAsync(name);

        Assert.Null(policy);
    }

    [Fact]
    public async Task GetPolicyAsync_CategoryTheCatalogDefines_Resolves()
    {
        using ServiceProvider services = Services(o => o.Catalog.DefineCategory(new DataCategory("Referral")));

        AuthorizationPolicy? policy = await services.GetRequiredService<IAuthorizationPolicyProvider>().GetPolicyAsync("phi:Referral:Create");

        Assert.Equal(new DataCategory("Referral"), Assert.Single(policy!.Requirements.OfType<PhiRequirement>()).Category);
    }

    [Fact]
    public async Task GetPolicyAsync_PolicyTheApplicationRegistered_Wins()
    {
        var own = new AuthorizationPolicyBuilder().RequireClaim("special").Build();
        using ServiceProvider services = Services(configureServices: s => s.AddAuthorization(o =>
        {
            o.AddPolicy("phi:ProgressNote:Read", own);
            o.AddPolicy("clinicians", p => p.RequireRole("Therapist"));
        }));
        var provider = services.GetRequiredService<IAuthorizationPolicyProvider>();

        Assert.Same(own, await provider.GetPolicyAsync("phi:ProgressNote:Read"));
        Assert.NotNull(await provider.GetPolicyAsync("clinicians"));
        Assert.NotNull(await provider.GetDefaultPolicyAsync());
    }

    [Fact]
    public void Name_IsTheFormThePolicyProviderResolves()
    {
        Assert.Equal("phi:Claim:Disclose", PhiPolicy.Name(DataCategory.Claim, PhiAction.Disclose));
        Assert.Throws<ArgumentException>(() => PhiPolicy.Name(DataCategory.All, PhiAction.Read));
        Assert.Throws<ArgumentOutOfRangeException>(() => PhiPolicy.For(DataCategory.Claim, (PhiAction)42));
        Assert.Same(PhiOperations.Disclose, PhiOperations.For(PhiAction.Disclose));
        Assert.Throws<ArgumentOutOfRangeException>(() => PhiOperations.For((PhiAction)0));
    }

    private static ServiceProvider Services(Action<PhiAuthorizationOptions>? configure = null, Action<IServiceCollection>? configureServices = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddRouting();
        configureServices?.Invoke(services);
        services.AddHipaa().AddPhiAuthorization(configure);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
    }
}
