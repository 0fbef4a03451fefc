using System.Reflection;
using System.Runtime.InteropServices;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Hipaa.Pkcs11;

/// <summary>
/// Pkcs11Interop 5.3.0 P/Invokes <c>dlopen</c> from a library named <c>libdl</c>. Distributions with glibc ship only
/// <c>libdl.so.2</c> unless a development package adds the <c>libdl.so</c> link, so loading a PKCS#11 module fails with
/// <see cref="DllNotFoundException"/>. This maps <c>libdl</c> to <c>libdl.so.2</c> for the Pkcs11Interop assembly, in this
/// process only, without changing the system.
/// </summary>
internal static class Pkcs11NativeLibraryResolver
{
    private static readonly Lazy<bool> Installation = new(Install, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Installs the resolver once per process; later calls do nothing. Thread-safe.</summary>
    /// <returns>Whether this resolver is installed (<see langword="false"/> off Linux, or when the application installed its own).</returns>
    public static bool EnsureInstalled() => Installation.Value;

    private static bool Install()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, Resolve);
            return true;
        }
        catch (InvalidOperationException)
        {
            // The application already registered a resolver for Pkcs11Interop; only one is allowed, and it is theirs.
            return false;
        }
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (string.Equals(libraryName, "libdl", StringComparison.Ordinal)
            && NativeLibrary.TryLoad("libdl.so.2", out IntPtr handle))
        {
            return handle;
        }

        // Anything else (and libdl on a system without libdl.so.2, such as musl) loads the default way.
        return IntPtr.Zero;
    }
}
