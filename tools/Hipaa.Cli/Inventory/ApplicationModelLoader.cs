using System.Reflection;
using Hipaa.EfCore;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Encryption;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hipaa.Cli.Inventory;

/// <summary>
/// Loads an EHR's assembly and builds the EF Core model of its <c>DbContext</c> types, as <c>dotnet ef</c> does at design time:
/// through an <see cref="IDesignTimeDbContextFactory{TContext}"/> when the assembly has one (the application's own
/// configuration, key scope included); else through a constructor taking <c>DbContextOptions</c>, given SQLite in memory and
/// <c>UseHipaa</c> with the SDK's default options; else through a parameterless constructor (the context configures itself).
/// docs/compliance-tools.md describes the choice.
/// </summary>
internal static class ApplicationModelLoader
{
    public static IReadOnlyList<ModelInventory> Load(string assemblyPath, string? contextName)
    {
        Assembly assembly = LoadAssembly(assemblyPath);
        Type[] types = TypesOf(assembly, assemblyPath);
        List<Type> contexts = [.. types
            .Where(t => typeof(DbContext).IsAssignableFrom(t) && !t.IsAbstract && !t.IsGenericTypeDefinition)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)];
        if (contexts.Count == 0)
        {
            throw new InspectionException($"The assembly '{assemblyPath}' defines no DbContext type; pass the assembly of the EHR's data layer.");
        }

        if (contextName is not null)
        {
            List<Type> named = [.. contexts.Where(t => t.Name == contextName || t.FullName == contextName)];
            if (named.Count != 1)
            {
                throw new InspectionException(named.Count == 0
                    ? $"The assembly '{assemblyPath}' has no DbContext named '{contextName}'; it has: {string.Join(", ", contexts.Select(t => t.FullName))}."
                    : $"Several DbContext types are named '{contextName}'; pass the full name: {string.Join(", ", named.Select(t => t.FullName))}.");
            }

            contexts = named;
        }

        using var services = new InspectionServices();
        var result = new List<ModelInventory>();
        foreach (Type contextType in contexts)
        {
            (DbContext context, string construction) = Create(contextType, types, services);
            using (context)
            {
                result.Add(Inspect(context, construction));
            }
        }

        return result;
    }

    private static Assembly LoadAssembly(string assemblyPath)
    {
        string full = Path.GetFullPath(assemblyPath);
        if (!File.Exists(full))
        {
            throw new InspectionException($"The assembly '{assemblyPath}' does not exist; pass the path of the built EHR assembly (e.g. bin/Release/net10.0/Clinic.dll).");
        }

        try
        {
            return new ApplicationLoadContext(full).LoadFromAssemblyPath(full);
        }
        catch (BadImageFormatException ex)
        {
            throw new InspectionException($"'{assemblyPath}' is not a .NET assembly ({ex.Message.Split(Environment.NewLine)[0]}).", ex);
        }
        catch (Exception ex) when (ex is FileLoadException or IOException or UnauthorizedAccessException)
        {
            throw new InspectionException($"The assembly '{assemblyPath}' could not be read: {ex.Message}", ex);
        }
    }

    private static Type[] TypesOf(Assembly assembly, string assemblyPath)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            string? missing = ex.LoaderExceptions.FirstOrDefault(e => e is not null)?.Message;
            throw new InspectionException(
                $"The types of '{assemblyPath}' could not be loaded ({missing}); run the tool on the application's build output, next to its dependencies and .deps.json.",
                ex);
        }
    }

    private static (DbContext Context, string Construction) Create(Type contextType, Type[] types, InspectionServices services)
    {
        try
        {
            Type factoryInterface = typeof(IDesignTimeDbContextFactory<>).MakeGenericType(contextType);
            Type? factory = types.FirstOrDefault(t => !t.IsAbstract && factoryInterface.IsAssignableFrom(t));
            if (factory is not null)
            {
                object instance = Activator.CreateInstance(factory)
                    ?? throw new InspectionException($"The design-time factory {factory.FullName} could not be created.");
                var context = (DbContext?)factoryInterface.GetMethod(nameof(IDesignTimeDbContextFactory<DbContext>.CreateDbContext))!.Invoke(instance, [Array.Empty<string>()])
                    ?? throw new InspectionException($"The design-time factory {factory.FullName} returned no context.");
                return (context, "design-time-factory");
            }

            Type typedOptions = typeof(DbContextOptions<>).MakeGenericType(contextType);
            ConstructorInfo? withOptions = contextType.GetConstructor([typedOptions]) ?? contextType.GetConstructor([typeof(DbContextOptions)]);
            if (withOptions is not null)
            {
                var builder = (DbContextOptionsBuilder)Activator.CreateInstance(typeof(DbContextOptionsBuilder<>).MakeGenericType(contextType))!;
                builder.UseSqlite("Data Source=:memory:").UseHipaa(services.Provider);
                return ((DbContext)withOptions.Invoke([builder.Options]), "options-constructor");
            }

            if (contextType.GetConstructor(Type.EmptyTypes) is { } parameterless)
            {
                return ((DbContext)parameterless.Invoke([]), "parameterless-constructor");
            }
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            throw new InspectionException($"Creating {contextType.FullName} failed: {ex.InnerException.Message}", ex.InnerException);
        }
        catch (Exception ex) when (IsLoadFailure(ex))
        {
            throw new InspectionException($"Creating {contextType.FullName} failed: {ex.Message} Run the tool on the application's build output, next to its dependencies and .deps.json.", ex);
        }

        throw new InspectionException(
            $"{contextType.FullName} has no IDesignTimeDbContextFactory, no constructor taking DbContextOptions and no parameterless constructor, so its model cannot be built; add an IDesignTimeDbContextFactory<{contextType.Name}> (as for 'dotnet ef').");
    }

    private static ModelInventory Inspect(DbContext context, string construction)
    {
        IModel model;
        try
        {
            model = context.Model;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or NotSupportedException || IsLoadFailure(ex))
        {
            throw new InspectionException($"The model of {context.GetType().FullName} could not be built: {ex.Message}", ex);
        }

        HipaaOptionsExtension? hipaa = context.GetService<IDbContextOptions>().FindExtension<HipaaOptionsExtension>();
        bool configured = construction != "options-constructor" && hipaa?.Encryption is not null;
        KeyScope scope = hipaa?.Encryption?.Options.KeyScope ?? new FieldEncryptionOptions().KeyScope;
        bool auditing = hipaa?.Audit is not null;
        var entities = new List<EntityInventory>();
        var unprotected = new SortedSet<string>(StringComparer.Ordinal);
        foreach (IEntityType entityType in model.GetEntityTypes())
        {
            if (entityType.ClrType.Assembly == typeof(HipaaOptionsExtension).Assembly)
            {
                continue; // the SDK's own tables (audit trail, consents)
            }

            if (Entity(entityType, scope, auditing) is { } entity)
            {
                entities.Add(entity);
            }
            else if (!entityType.IsOwned())
            {
                unprotected.Add(entityType.ClrType.Name);
            }
        }

        return new ModelInventory(
            context.GetType().FullName!,
            construction,
            scope,
            configured,
            hipaa?.Encryption is not null,
            auditing,
            [.. entities.OrderBy(e => e.Name, StringComparer.Ordinal)],
            [.. unprotected]);
    }

    private static EntityInventory? Entity(IEntityType entityType, KeyScope scope, bool auditing)
    {
        PhiEntityModel? phi = HipaaAnnotations.PhiModel(entityType);
        EncryptedEntityModel? encrypted = HipaaAnnotations.EncryptionModel(entityType);
        IEntityType root = entityType;
        while (root.FindOwnership() is { } ownership)
        {
            root = ownership.PrincipalEntityType;
        }

        PhiEntityModel? owner = ReferenceEquals(root, entityType) ? null : HipaaAnnotations.PhiModel(root);
        if (phi is null && encrypted is null && owner is null)
        {
            return null;
        }

        PhiEntityModel? category = phi ?? owner;
        IProperty? patientId = phi?.PatientId ?? encrypted?.PatientId;
        IProperty? author = HipaaAnnotations.AuthorProperty(entityType);
        IReadOnlyList<IProperty> keys = entityType.FindPrimaryKey()?.Properties ?? [];
        // Model order would put the encrypted members (shadow ciphertext properties) last; the report sorts keys first, then by name.
        var properties = new List<PropertyInventory>();
        foreach (IProperty property in entityType.GetProperties())
        {
            if (property.Name.StartsWith(EncryptionAnnotations.BlindIndexPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            string column = property.GetColumnName() ?? property.Name;
            if (property.Name.StartsWith(EncryptionAnnotations.CiphertextPrefix, StringComparison.Ordinal) && encrypted is not null)
            {
                string name = property.Name[EncryptionAnnotations.CiphertextPrefix.Length..];
                EncryptedPropertyModel? member = encrypted.FindProperty(name);
                string keyScope = scope switch
                {
                    KeyScope.Application => "app",
                    KeyScope.Patient when encrypted.PatientId is not null => "patient",
                    _ => $"column:{encrypted.Table}.{column}",
                };
                properties.Add(new PropertyInventory(name, column, TypeName(member?.Member.PropertyType ?? property.ClrType), true, member?.BlindIndex is not null, keyScope, null, $"column:{encrypted.Table}.{column}"));
                continue;
            }

            string? role = keys.Contains(property) ? "key" : ReferenceEquals(property, patientId) ? "patient-id" : ReferenceEquals(property, author) ? "author-id" : null;
            properties.Add(new PropertyInventory(property.Name, column, TypeName(property.ClrType), false, false, null, role));
        }

        string table = entityType.GetTableName() ?? entityType.GetViewName() ?? entityType.ClrType.Name;
        if (entityType.GetSchema() is { Length: > 0 } schema)
        {
            table = schema + "." + table;
        }

        bool audited = auditing && category is not null;
        return new EntityInventory(
            entityType.ClrType.Name,
            entityType.ClrType.FullName ?? entityType.ClrType.Name,
            table,
            category?.Category,
            category?.Labels ?? [],
            patientId?.Name,
            owner?.Name,
            audited,
            audited,
            [.. properties.OrderBy(p => p.Role == "key" ? 0 : 1).ThenBy(p => p.Name, StringComparer.Ordinal)]);
    }

    /// <summary>A dependency of the application that could not be found, loaded or bound (not a bug of the tool).</summary>
    private static bool IsLoadFailure(Exception exception) =>
        exception is FileNotFoundException or FileLoadException or TypeLoadException or MissingMethodException or MissingFieldException or BadImageFormatException;

    private static string TypeName(Type type) =>
        Nullable.GetUnderlyingType(type) is { } underlying ? underlying.Name + "?" : type.Name;
}
