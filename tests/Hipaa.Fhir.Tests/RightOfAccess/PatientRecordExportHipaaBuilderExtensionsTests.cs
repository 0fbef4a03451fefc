using Hipaa.Auditing;
using Hipaa.Fhir;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Hipaa.Fhir.Tests.RightOfAccess;

/// <summary>AddPatientRecordExport() and AddPatientRecordSource&lt;T&gt;(): registration, the audit-trail requirement, options validation.</summary>
public sealed class PatientRecordExportHipaaBuilderExtensionsTests
{
    [Fact]
    public void AddPatientRecordSource_TwiceAndInAnyOrder_RegistersTheSourceOnceAndTheExport()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IAuditSink>(new RecordingAuditSink());
        services.AddHipaa().AddPatientRecordSource<EmptySource>().AddPatientRecordExport().AddPatientRecordSource<EmptySource>().AddPatientRecordExport();

        using ServiceProvider provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        using IServiceScope scope = provider.CreateScope();

        Assert.Single(scope.ServiceProvider.GetServices<IPatientRecordSource>());
        Assert.NotNull(scope.ServiceProvider.GetRequiredService<PatientRecordExport>());
    }

    [Fact]
    public void Resolve_WithoutTheAuditTrail_FailsNamingTheCallToAdd()
    {
        var services = new ServiceCollection();
        services.AddHipaa().AddPatientRecordExport().AddPatientRecordSource<EmptySource>();

        using ServiceProvider provider = services.BuildServiceProvider();
        using IServiceScope scope = provider.CreateScope();

        var failure = Assert.Throws<InvalidOperationException>(() => scope.ServiceProvider.GetRequiredService<PatientRecordExport>());
        Assert.Contains("AddQueryAuditing()", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://ehr.example.org/fhir")]
    [InlineData("https://ehr.example.org/fhir?tenant=1")]
    public void Options_BaseUrlThatIsNotAnHttpBase_IsRefusedWithTheValueSeen(string url)
    {
        var services = new ServiceCollection();
        services.AddHipaa().AddPatientRecordExport(o =>
        {
            o.FhirBaseUrl = new Uri(url);
            o.ComplaintContact = " ";
        });

        using ServiceProvider provider = services.BuildServiceProvider();
        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PatientRecordExportOptions>>().Value);

        Assert.Equal(2, failure.Failures.Count());
        Assert.Contains(url, failure.Message, StringComparison.Ordinal);
        Assert.Contains("ComplaintContact", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddPatientRecordExport_FromConfiguration_BindsTheOptions()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["FhirBaseUrl"] = "https://ehr.example.org/fhir",
                ["ComplaintContact"] = "Privacy Officer, 555-0100",
            })
            .Build();
        var services = new ServiceCollection();
        services.AddHipaa().AddPatientRecordExport(configuration);

        using ServiceProvider provider = services.BuildServiceProvider();
        PatientRecordExportOptions options = provider.GetRequiredService<IOptions<PatientRecordExportOptions>>().Value;

        Assert.Equal((new Uri("https://ehr.example.org/fhir"), "Privacy Officer, 555-0100"), (options.FhirBaseUrl, options.ComplaintContact));
    }

    private sealed class EmptySource : IPatientRecordSource
    {
        public IAsyncEnumerable<PatientRecord> ReadAsync(string patientId, CancellationToken cancellationToken) => AsyncEnumerable.Empty<PatientRecord>();
    }
}
