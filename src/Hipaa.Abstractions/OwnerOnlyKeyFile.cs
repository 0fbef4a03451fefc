using System.Globalization;
using System.Security.Cryptography;

namespace Hipaa;

/// <summary>
/// A development key kept in a local file readable by its owner only (the local KEK, the local checkpoint signer): read
/// it, or create it on first run atomically (owner-only from the first byte; two first runs at once — threads or
/// processes — end with one key), and refuse a file that its group or others can read or write, or (on Unix) that another
/// user owns: its owner can change its mode, or replace the key with one they know, whatever the mode is now. On Windows
/// neither the owner nor the ACL is checked (docs/key-providers.md).
/// </summary>
internal static class OwnerOnlyKeyFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupOrOthers =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Reads <paramref name="fullPath"/>, creating it with <paramref name="create"/>'s bytes when it does not exist.</summary>
    /// <param name="fullPath">The file.</param>
    /// <param name="description">What the file is, for messages, e.g. "development key file".</param>
    /// <param name="deleteHint">What deleting the file means, for the message about a too-open file.</param>
    /// <param name="create">Makes the content of a new file (called at most once, under the creation lock).</param>
    /// <returns>The file's content and whether this call created it.</returns>
    public static (byte[] Content, bool Created) ReadOrCreate(string fullPath, string description, string deleteHint, Func<byte[]> create)
    {
        var content = TryRead(fullPath, description, deleteHint);
        if (content is not null)
        {
            return (content, false);
        }

        // Creation is serialized by an exclusive lock on a sibling file, and the file is read again once the lock is held.
        using (AcquireCreationLock(fullPath))
        {
            content = TryRead(fullPath, description, deleteHint);
            if (content is not null)
            {
                return (content, false);
            }

            var created = TryCreate(fullPath, description, create);
            content = TryRead(fullPath, description, deleteHint) ?? throw new IOException(string.Format(
                CultureInfo.InvariantCulture,
                "The {0} '{1}' was created but could not be opened afterwards; check that nothing else deletes it.",
                description,
                fullPath));
            return (content, created);
        }
    }

    /// <summary>Reads the file, or returns <see langword="null"/> when it does not exist; refuses a file open to group or others, or owned by another user.</summary>
    private static byte[]? TryRead(string path, string description, string deleteHint)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception missing) when (missing is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        using (stream)
        {
            if (!OperatingSystem.IsWindows())
            {
                // Checked on the open handle, so the file checked is the file read.
                var mode = File.GetUnixFileMode(stream.SafeFileHandle);
                if ((mode & GroupOrOthers) != 0)
                {
                    throw new InvalidOperationException(string.Format(
                        CultureInfo.InvariantCulture,
                        "The {0} '{1}' has mode {2} and can be read or written by its group or by others, so it is not used. "
                            + "Restrict it to its owner with: chmod 600 '{1}' ({3}).",
                        description,
                        path,
                        "0" + Convert.ToString((int)mode & 0x1FF, 8).PadLeft(3, '0'),
                        deleteHint));
                }

                RequireOwnedByCurrentUser(stream, mode, path, description, deleteHint);
            }

            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            return buffer.ToArray();
        }
    }

    /// <summary>
    /// Refuses a file that is not owned by the effective user of this process (root included: a file another user owns is
    /// that user's to change), and one whose owner cannot be read (fail closed). Checked on the open handle.
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void RequireOwnedByCurrentUser(FileStream stream, UnixFileMode mode, string path, string description, string deleteHint)
    {
        if (UnixFileOwner.Read(stream.SafeFileHandle, mode) is not var (owner, user))
        {
            throw new InvalidOperationException(string.Format(
                CultureInfo.InvariantCulture,
                "The owner of the {0} '{1}' could not be read on this platform, so it is not used: a key file must be shown to belong to the user that runs the application.",
                description,
                path));
        }

        if (owner != user)
        {
            throw new InvalidOperationException(string.Format(
                CultureInfo.InvariantCulture,
                "The {0} '{1}' is owned by user id {2}, not by the user running this process (user id {3}), so it is not used: whoever owns it can change its mode or replace the key. "
                    + "Make it this user's with: chown {3} '{1}' && chmod 600 '{1}' ({4}).",
                description,
                path,
                owner,
                user,
                deleteHint));
        }
    }

    /// <summary>An exclusive lock on "&lt;path&gt;.lock" (flock on Unix), waited for up to ten seconds, removed when released.</summary>
    private static FileStream AcquireCreationLock(string path)
    {
        CreateDirectory(path);

        // Deleted on close: a waiter that then opens a fresh lock file still re-reads the key file before creating one,
        // and the key file, once created, is never removed, so no second key can appear.
        var options = new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            Options = FileOptions.DeleteOnClose,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path + ".lock", options);
            }
            catch (IOException) when (attempt < 1000)
            {
                Thread.Sleep(10);
            }
        }
    }

    /// <summary>Writes a new owner-only temporary file and moves it into place; false when the file appeared meanwhile.</summary>
    private static bool TryCreate(string path, string description, Func<byte[]> create)
    {
        var directory = CreateDirectory(path) ?? throw new ArgumentException($"The {description} path must name a file, not a root directory.", nameof(path));
        var temporary = Path.Combine(directory, "." + Path.GetFileName(path) + "." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)) + ".tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        var content = create();
        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            try
            {
                File.Move(temporary, path, overwrite: false);
                return true;
            }
            catch (IOException) when (File.Exists(path))
            {
                return false;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(content);
            File.Delete(temporary);
        }
    }

    private static string? CreateDirectory(string path)
    {
        var directory = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        return directory;
    }
}
