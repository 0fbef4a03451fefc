using Hipaa.EfCore;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Encryption;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Microsoft.EntityFrameworkCore;

/// <summary>Turns on Hipaa.Sdk's safeguards for a <see cref="DbContext"/>.</summary>
public static class HipaaDbContextOptionsBuilderExtensions
{
    /// <summary>
    /// Applies the safeguards registered with <c>services.AddHipaa()</c> (field encryption, …) to this context:
    /// <c>services.AddDbContext&lt;ClinicDb&gt;((sp, o) =&gt; o.UseSqlite(cs).UseHipaa(sp))</c>.
    /// </summary>
    /// <param name="optionsBuilder">The context's options.</param>
    /// <param name="services">The application's service provider, in which <c>AddHipaa()</c> registered the safeguards.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="InvalidOperationException">No safeguard was registered.</exception>
    public static DbContextOptionsBuilder UseHipaa(this DbContextOptionsBuilder optionsBuilder, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        ArgumentNullException.ThrowIfNull(services);
        HipaaModelGuard.Enable();
        var encryption = services.GetService(typeof(FieldEncryptionRuntime)) as FieldEncryptionRuntime;
        var audit = services.GetService(typeof(AuditRuntime)) as AuditRuntime;
        if (encryption is null && audit is null)
        {
            throw new InvalidOperationException(
                "UseHipaa found no Hipaa.Sdk safeguard in the service provider. Register them first, e.g. services.AddHipaa().AddFieldEncryption().UseLocalDevelopmentKey(path).UseKeyStore(o => o.UseSqlite(cs)).AddQueryAuditing().UseAuditStore(o => o.UseSqlite(cs)).");
        }

        if (audit is null && services.GetService(typeof(Hipaa.EfCore.Enforcement.PolicyEnforcementRuntime)) is not null)
        {
            throw new InvalidOperationException(
                "AddPolicyEnforcement() needs AddQueryAuditing().UseAuditStore(...): every policy decision is recorded in the audit trail, so enforcement without auditing is refused.");
        }

        var existing = optionsBuilder.Options.FindExtension<HipaaOptionsExtension>();
        if (existing is not null && ReferenceEquals(existing.Encryption, encryption) && ReferenceEquals(existing.Audit, audit))
        {
            return optionsBuilder;
        }

        ((IDbContextOptionsBuilderInfrastructure)optionsBuilder).AddOrUpdateExtension(new HipaaOptionsExtension(encryption, audit));
        if (existing is null)
        {
            // Stateless singletons: they find this context's runtimes through its options, so every context and every
            // application shares one EF internal service provider per feature set. Only the features registered get their
            // interceptors. Reads are decrypted, decided and audited by an instantiation binding (EntityReadHook), not a
            // materialization interceptor, which would cost EF a per-row dictionary for every entity of every query; that
            // binding interceptor is registered by HipaaOptionsExtension.ApplyServices, so that it runs after those of
            // the options set before UseHipaa (lazy-loading proxies).
            // Order matters: a write is encrypted before it is audited (the audit sees the encrypted properties as changed).
            var interceptors = new List<IInterceptor>();
            if (encryption is not null)
            {
                interceptors.Add(FieldEncryptionSaveChangesInterceptor.Instance);
                interceptors.Add(EncryptedQueryInterceptor.Instance);
            }

            if (audit is not null)
            {
                interceptors.Add(AuditSaveChangesInterceptor.Instance);
                interceptors.Add(AuditCommandInterceptor.Instance);
                interceptors.Add(AuditTransactionInterceptor.Instance);
                interceptors.Add(Hipaa.EfCore.Reading.ProjectionAttributionInterceptor.Instance);
            }

            if (encryption is not null)
            {
                // Last, so that it wraps the final projection as the other query interceptors left it: every row a
                // blind-index search returns is checked against its decrypted value (issue 9, finding 5).
                interceptors.Add(BlindIndexVerificationInterceptor.Instance);
            }

            if (interceptors.Count > 0)
            {
                optionsBuilder.AddInterceptors(interceptors);
            }
        }

        return optionsBuilder;
    }

    /// <summary>
    /// DANGEROUS: lets this context map <see cref="Hipaa.PhiAttribute"/> entities or encrypted properties without
    /// <c>UseHipaa(sp)</c>, so that its reads and writes are <b>not audited</b> and encrypted properties are read and
    /// written as they are stored. Without this call such a context is refused on first use in a process where
    /// Hipaa.Sdk's services are registered (docs/audit.md, "Contexts without UseHipaa"). For one-off tools that must
    /// work on the raw columns; never for the application's own contexts.
    /// </summary>
    /// <param name="optionsBuilder">The context's options.</param>
    /// <returns>The same builder.</returns>
    public static DbContextOptionsBuilder DangerouslyAllowPhiWithoutHipaa(this DbContextOptionsBuilder optionsBuilder)
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        ((IDbContextOptionsBuilderInfrastructure)optionsBuilder).AddOrUpdateExtension(new UnguardedPhiOptionsExtension());
        return optionsBuilder;
    }

    /// <inheritdoc cref="DangerouslyAllowPhiWithoutHipaa(DbContextOptionsBuilder)"/>
    public static DbContextOptionsBuilder<TContext> DangerouslyAllowPhiWithoutHipaa<TContext>(this DbContextOptionsBuilder<TContext> optionsBuilder)
        where TContext : DbContext =>
        (DbContextOptionsBuilder<TContext>)DangerouslyAllowPhiWithoutHipaa((DbContextOptionsBuilder)optionsBuilder);

    /// <inheritdoc cref="UseHipaa(DbContextOptionsBuilder, IServiceProvider)"/>
    public static DbContextOptionsBuilder<TContext> UseHipaa<TContext>(this DbContextOptionsBuilder<TContext> optionsBuilder, IServiceProvider services)
        where TContext : DbContext =>
        (DbContextOptionsBuilder<TContext>)UseHipaa((DbContextOptionsBuilder)optionsBuilder, services);
}
