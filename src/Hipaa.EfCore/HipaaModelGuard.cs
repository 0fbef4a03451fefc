using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using Hipaa.EfCore.Encryption;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hipaa.EfCore;

/// <summary>
/// Refuses a <see cref="DbContext"/> that maps PHI (<see cref="PhiAttribute"/> entities or encrypted properties), maps
/// any type onto a PHI table of the process, or sends a command naming one (<see cref="PhiTableRegistry"/>), but was
/// configured without <c>UseHipaa(sp)</c>: such a context has none of the SDK's interceptors, so it would read and write
/// PHI unaudited and store encrypted properties as plaintext. The SDK never configured it, so the guard listens to EF
/// Core's global diagnostics ("Microsoft.EntityFrameworkCore") from the moment the SDK's services are registered:
/// a context is checked when it is initialized (its first use), when <c>SaveChanges</c> starts and before every database
/// command it sends, so a context that was refused once (a pooled instance rented again, a caught exception) is refused
/// again. Throwing from
/// the listener aborts the operation: EF Core raises these events synchronously, before it proceeds.
/// </summary>
internal sealed class HipaaModelGuard : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>
{
    private static readonly HipaaModelGuard Instance = new();
    private static readonly string ContextInitialized = CoreEventId.ContextInitialized.Name!;
    private static readonly string SaveChangesStarting = CoreEventId.SaveChangesStarting.Name!;
    private static readonly string CommandExecuting = RelationalEventId.CommandExecuting.Name!;
    private static readonly ConditionalWeakTable<IModel, StrongBox<string?>> Findings = [];
    private static int _enabled;

    private HipaaModelGuard()
    {
    }

    /// <summary>Starts guarding every context of the process (once; later calls do nothing).</summary>
    public static void Enable()
    {
        if (Volatile.Read(ref _enabled) == 0 && Interlocked.Exchange(ref _enabled, 1) == 0)
        {
            DiagnosticListener.AllListeners.Subscribe(Instance);
        }
    }

    void IObserver<DiagnosticListener>.OnNext(DiagnosticListener value)
    {
        if (value.Name == DbLoggerCategory.Name)
        {
            value.Subscribe(this, static name => name == ContextInitialized || name == SaveChangesStarting || name == CommandExecuting);
        }
    }

    void IObserver<KeyValuePair<string, object?>>.OnNext(KeyValuePair<string, object?> value)
    {
        switch (value.Value)
        {
            case ContextInitializedEventData initialized:
                Check(initialized.Context, initialized.ContextOptions);
                break;
            case CommandEventData { Context: { } context } command:
                Check(context, context.GetService<IDbContextOptions>(), command.Command.CommandText);
                break;
            case DbContextEventData { Context: { } context } when value.Key == SaveChangesStarting:
                Check(context, context.GetService<IDbContextOptions>());
                break;
        }
    }

    void IObserver<DiagnosticListener>.OnCompleted()
    {
    }

    void IObserver<DiagnosticListener>.OnError(Exception error)
    {
    }

    void IObserver<KeyValuePair<string, object?>>.OnCompleted()
    {
    }

    void IObserver<KeyValuePair<string, object?>>.OnError(Exception error)
    {
    }

    private static void Check(DbContext context, IDbContextOptions options, string? commandText = null)
    {
        if (options.FindExtension<HipaaOptionsExtension>() is not null)
        {
            PhiTableRegistry.Register(context.Model);
            return;
        }

        if (options.FindExtension<UnguardedPhiOptionsExtension>() is not null || context.GetType().Assembly == typeof(HipaaModelGuard).Assembly)
        {
            return; // opted out, or the SDK's own stores (the audit trail, keys, consents)
        }

        var found = Findings.GetValue(context.Model, static model => new StrongBox<string?>(PhiTypes(model))).Value
            ?? PhiTableRegistry.MappedOnto(context.Model)
            ?? (commandText is null ? null : PhiTableRegistry.NamedIn(commandText, context.Database.ProviderName) is { } table ? "its SQL reads or writes the PHI table " + table : null);
        if (found is not null)
        {
            var name = context.GetType().Name;
            throw new InvalidOperationException(
                $"The context {name} maps PHI ({found}) but was configured without UseHipaa(sp), so its reads and writes would be neither audited nor encrypted. Configure it like the application's other contexts, e.g. services.AddDbContext<{name}>((sp, o) => o.UseNpgsql(cs).UseHipaa(sp)). A context that must work on this data without the safeguards (a one-off repair tool) can opt out with o.DangerouslyAllowPhiWithoutHipaa().");
        }
    }

    /// <summary>The entity types of a model that are PHI or have encrypted properties, or null when there are none.</summary>
    private static string? PhiTypes(IModel model)
    {
        var names = model.GetEntityTypes()
            .Where(t => t.ClrType.GetCustomAttribute<PhiAttribute>(inherit: true) is not null || t.GetDeclaredProperties().Any(IsEncrypted))
            .Select(t => t.DisplayName())
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        return names.Count == 0 ? null : string.Join(", ", names);
    }

    private static bool IsEncrypted(IProperty property) =>
        property.FindAnnotation(EncryptionAnnotations.Encrypted) is not null
        || property.PropertyInfo?.GetCustomAttribute<EncryptedAttribute>(inherit: true) is not null;
}
