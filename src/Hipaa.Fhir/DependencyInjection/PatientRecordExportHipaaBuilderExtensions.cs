using Hipaa.Auditing;
using Hipaa.Fhir;
using Hipaa.Policy;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers the patient's right-of-access export (<see cref="PatientRecordExport"/>, 45 CFR 164.524) and the
/// application's record sources:
/// <c>services.AddHipaa().AddPatientRecordExport().AddPatientRecordSource&lt;ProgressNoteSource&gt;()</c>. The export records
/// its disclosure through the audit trail, so it also needs <c>AddQueryAuditing()</c> (Hipaa.EfCore).
/// </summary>
public static class PatientRecordExportHipaaBuilderExtensions
{
    /// <summary>Adds the export with default options (<c>urn:uuid</c> full URLs, no complaint contact).</summary>
    /// <param name="builder">The Hipaa builder.</param>
    /// <returns>The same builder.</returns>
    public static IHipaaBuilder AddPatientRecordExport(this IHipaaBuilder builder) => AddPatientRecordExport(builder, static _ => { });

    /// <summary>Adds the export configured by <paramref name="configure"/>.</summary>
    /// <param name="builder">The Hipaa builder.</param>
    /// <param name="configure">Sets <see cref="PatientRecordExportOptions"/>.</param>
    /// <returns>The same builder.</returns>
    public static IHipaaBuilder AddPatientRecordExport(this IHipaaBuilder builder, Action<PatientRecordExportOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        AddCore(builder.Services).Configure(configure);
        return builder;
    }

    /// <summary>Adds the export bound to a configuration section.</summary>
    /// <param name="builder">The Hipaa builder.</param>
    /// <param name="configuration">The section holding <see cref="PatientRecordExportOptions"/>.</param>
    /// <returns>The same builder.</returns>
    public static IHipaaBuilder AddPatientRecordExport(this IHipaaBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        AddCore(builder.Services).Bind(configuration);
        return builder;
    }

    /// <summary>
    /// Adds a source of the patient's records (scoped, so that it may take the application's <c>DbContext</c>), and the export
    /// if it is not registered yet. Adding the same source type twice registers it once.
    /// </summary>
    /// <typeparam name="TSource">The source.</typeparam>
    /// <param name="builder">The Hipaa builder.</param>
    /// <returns>The same builder.</returns>
    public static IHipaaBuilder AddPatientRecordSource<TSource>(this IHipaaBuilder builder)
        where TSource : class, IPatientRecordSource
    {
        ArgumentNullException.ThrowIfNull(builder);
        AddCore(builder.Services);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Scoped<IPatientRecordSource, TSource>());
        return builder;
    }

    private static OptionsBuilder<PatientRecordExportOptions> AddCore(IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PatientRecordExportOptions>, PatientRecordExportOptionsValidator>());
        services.TryAddScoped(static sp => new PatientRecordExport(
            sp.GetServices<IPatientRecordSource>(),
            sp.GetService<IAuditSink>() ?? throw new InvalidOperationException(
                "The right-of-access export records a disclosure to the patient in the audit trail, and no audit sink is registered: call AddHipaa().AddQueryAuditing().UseAuditStore(...) (Hipaa.EfCore)."),
            sp.GetService<PolicyEngine>() ?? PolicyEngine.Default,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<PatientRecordExportOptions>>().Value));
        return services.AddOptions<PatientRecordExportOptions>().ValidateOnStart();
    }
}
