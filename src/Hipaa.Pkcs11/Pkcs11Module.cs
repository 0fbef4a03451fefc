using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Hipaa.Encryption;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Hipaa.Pkcs11;

/// <summary>
/// One loaded and initialised PKCS#11 module, shared by every key in the process that names the same library.
/// </summary>
/// <remarks>
/// PKCS#11 allows one <c>C_Initialize</c> per module per process, and <c>C_Finalize</c> ends every session of the process,
/// so instances share the module and the last one to release it finalises it. The login state is per token per process too;
/// this class remembers which PIN logged in to each slot, so that a second key with a different PIN is refused instead of
/// silently riding on the first one's login.
/// </remarks>
internal sealed class Pkcs11Module
{
    private static readonly Dictionary<string, Pkcs11Module> Loaded = new(StringComparer.Ordinal);
    private static readonly Lock LoadedGate = new();

    private readonly Dictionary<ulong, byte[]> _loginPinHashes = [];
    private readonly string _key;
    private int _references;

    private Pkcs11Module(string key, IPkcs11Library library, Pkcs11InteropFactories factories)
    {
        _key = key;
        Library = library;
        Factories = factories;
    }

    public IPkcs11Library Library { get; }

    public Pkcs11InteropFactories Factories { get; }

    /// <summary>Serialises finding and creating wrapping keys in this process, so that one label never gets two keys.</summary>
    public Lock KeyCreationGate { get; } = new();

    /// <summary>Loads (or shares) the module at <paramref name="libraryPath"/>. Pair every call with <see cref="Release"/>.</summary>
    /// <param name="libraryPath">The PKCS#11 module.</param>
    /// <param name="keyId">The key that needs the module, for error messages.</param>
    public static Pkcs11Module Acquire(string libraryPath, string keyId)
    {
        string key = libraryPath.Contains('/', StringComparison.Ordinal) || libraryPath.Contains('\\', StringComparison.Ordinal)
            ? Path.GetFullPath(libraryPath)
            : libraryPath;

        lock (LoadedGate)
        {
            if (!Loaded.TryGetValue(key, out Pkcs11Module? module))
            {
                Pkcs11NativeLibraryResolver.EnsureInstalled();
                var factories = new Pkcs11InteropFactories();
                IPkcs11Library library;
                try
                {
                    library = factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, key, AppType.MultiThreaded, InitType.WithFunctionList);
                }
                catch (Exception ex) when (ex is Pkcs11Exception or UnmanagedException or DllNotFoundException or BadImageFormatException or EntryPointNotFoundException)
                {
                    throw new KeyServiceUnavailableException(
                        string.Format(
                            CultureInfo.InvariantCulture,
                            "The PKCS#11 library '{0}' could not be loaded and initialised for the key '{2}' ({1}). Check "
                                + "Pkcs11KeyEncryptionKeyOptions.LibraryPath and that the library's own configuration (for "
                                + "SoftHSM2, the SOFTHSM2_CONF file and its token directory) is readable.",
                            key,
                            Describe(ex),
                            keyId),
                        ex)
                    {
                        KeyId = keyId,
                    };
                }

                module = new Pkcs11Module(key, library, factories);
                Loaded.Add(key, module);
            }

            module._references++;
            return module;
        }
    }

    /// <summary>Describes a failure for a message: the PKCS#11 return value when there is one, never data.</summary>
    public static string Describe(Exception exception) => exception switch
    {
        Pkcs11Exception p11 => string.Format(CultureInfo.InvariantCulture, "{0} from {1}", p11.RV, p11.Method),
        _ => exception.GetType().Name + ": " + exception.Message,
    };

    /// <summary>
    /// Records that <paramref name="pin"/> logged in to <paramref name="slotId"/>, or, when the token was already logged in
    /// by this process, checks that it was with the same PIN.
    /// </summary>
    /// <returns><see langword="false"/> when this process logged in to the slot with a different PIN.</returns>
    public bool RecordLogin(ulong slotId, string pin, bool alreadyLoggedIn)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(pin));
        lock (_loginPinHashes)
        {
            if (alreadyLoggedIn && _loginPinHashes.TryGetValue(slotId, out byte[]? existing))
            {
                return CryptographicOperations.FixedTimeEquals(existing, hash);
            }

            _loginPinHashes[slotId] = hash;
            return true;
        }
    }

    /// <summary>Releases one reference; the last one finalises the module (<c>C_Finalize</c>).</summary>
    public void Release()
    {
        lock (LoadedGate)
        {
            if (--_references > 0)
            {
                return;
            }

            Loaded.Remove(_key);
            Library.Dispose();
        }
    }
}
