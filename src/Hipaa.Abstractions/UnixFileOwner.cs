using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace Hipaa;

/// <summary>
/// The owner of an open file and the effective user of this process, on Unix: the owner check of
/// <see cref="OwnerOnlyKeyFile"/>. .NET has no API for a file's owner, so this asks the runtime's own native shim
/// (<c>libSystem.Native</c>, which every .NET runtime on Unix ships and which <c>File.GetUnixFileMode</c> uses): its
/// <c>FileStatus</c> starts with flags, mode, uid and gid on every platform, whatever the platform's <c>struct stat</c>
/// looks like. The answer is trusted only if the mode it reports is the one <see cref="File.GetUnixFileMode(SafeFileHandle)"/>
/// reports for the same handle.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal static partial class UnixFileOwner
{
    private const string SystemNative = "libSystem.Native";

    /// <summary>Reads the owner of <paramref name="handle"/>'s file and this process's effective user id; <see langword="null"/> when they cannot be read reliably.</summary>
    /// <param name="handle">The open file.</param>
    /// <param name="mode">The file's permissions as <see cref="File.GetUnixFileMode(SafeFileHandle)"/> reported them, to check the answer against.</param>
    /// <returns>The file's owner and the process's effective user id, or <see langword="null"/>.</returns>
    public static (uint FileOwner, uint EffectiveUser)? Read(SafeFileHandle handle, UnixFileMode mode)
    {
        FileStatus status;
        uint effectiveUser;
        try
        {
            if (FStat(handle, out status) != 0)
            {
                return null;
            }

            effectiveUser = GetEUid();
        }
        catch (Exception unavailable) when (unavailable is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }

        // The permission bits (rwx for user, group, others, and setuid/setgid/sticky) must be the ones the BCL read.
        return (status.Mode & 0xFFF) == (int)mode ? (status.Uid, effectiveUser) : null;
    }

    [LibraryImport(SystemNative, EntryPoint = "SystemNative_FStat", SetLastError = true)]
    private static partial int FStat(SafeFileHandle fd, out FileStatus output);

    [LibraryImport(SystemNative, EntryPoint = "SystemNative_GetEUid")]
    private static partial uint GetEUid();

    /// <summary>
    /// The leading fields of the shim's <c>FileStatus</c>, which have been the same in every .NET version; the size is
    /// larger than the whole structure has ever been, so the shim never writes past it.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct FileStatus
    {
        [FieldOffset(0)]
        public int Flags;

        [FieldOffset(4)]
        public int Mode;

        [FieldOffset(8)]
        public uint Uid;

        [FieldOffset(12)]
        public uint Gid;
    }
}
