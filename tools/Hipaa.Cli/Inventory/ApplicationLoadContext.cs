using System.Reflection;
using System.Runtime.Loader;

namespace Hipaa.Cli.Inventory;

/// <summary>
/// Loads an application's assembly for inspection. Dependencies the tool itself carries (Hipaa.*, EF Core and its providers,
/// the BCL) are taken from the tool, so that the application's model is built by the same EF Core and Hipaa.Sdk code the
/// tool reads it with; everything else is resolved from the application's folder through its <c>.deps.json</c>.
/// </summary>
internal sealed class ApplicationLoadContext(string mainAssemblyPath) : AssemblyLoadContext("hipaa-inspection", isCollectible: false)
{
    private readonly AssemblyDependencyResolver _resolver = new(mainAssemblyPath);

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        try
        {
            return Default.LoadFromAssemblyName(assemblyName);
        }
        catch (Exception ex) when (ex is FileNotFoundException or FileLoadException)
        {
            // Not one of the tool's own assemblies (or a newer version of one): the application's copy.
        }

        string? path = _resolver.ResolveAssemblyToPath(assemblyName);
        return path is null ? null : LoadFromAssemblyPath(path);
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        string? path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }
}
