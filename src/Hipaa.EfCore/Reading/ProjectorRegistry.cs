using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore.Query;

namespace Hipaa.EfCore.Reading;

/// <summary>
/// The compiled projectors of <see cref="SharedMaterialization"/>, by number. EF Core refuses a delegate constant in a
/// client projection (it could keep large objects alive) and tries to translate a lambda argument to SQL, so the projection
/// names its projector by an integer and fetches it per row: <c>PhiProjection.Projector&lt;TFunc&gt;(id)</c>. Projectors are
/// shared by structural equality, so the registry grows with the number of distinct projection shapes an application
/// compiles, not with the number of compilations.
/// </summary>
internal static class ProjectorRegistry
{
    private static readonly object Gate = new();
    private static readonly Dictionary<Expression, int> Ids = new(ExpressionEqualityComparer.Instance);
    private static Delegate[] _projectors = new Delegate[16];
    private static int _count;

    /// <summary>Returns the number of <paramref name="projector"/>, compiling it the first time its shape is seen.</summary>
    public static int Register(LambdaExpression projector)
    {
        lock (Gate)
        {
            if (Ids.TryGetValue(projector, out var id))
            {
                return id;
            }

            var compiled = projector.Compile();
            if (_count == _projectors.Length)
            {
                var grown = new Delegate[_count * 2];
                Array.Copy(_projectors, grown, _count);
                Volatile.Write(ref _projectors, grown);
            }

            id = _count;
            _projectors[id] = compiled;
            _count++;
            Ids.Add(projector, id);
            return id;
        }
    }

    /// <summary>Gets the projector of number <paramref name="id"/>.</summary>
    public static TDelegate Get<TDelegate>(int id)
        where TDelegate : Delegate => (TDelegate)Volatile.Read(ref _projectors)[id];
}
