// Usage: Hipaa.EfCore.LoadDriver <sqlite|postgres> <connection string> <writer id> <operations>
// Writes <operations> notes (one SaveChanges each) and reads each back, as system actor "load-<writer id>";
// prints "ready" after the first write and "done" at the end. Killed mid-way by the crash test.
using Hipaa.Auditing;
using Hipaa.EfCore.LoadDriver;
using Hipaa.Policy;
using Microsoft.EntityFrameworkCore;

if (args.Length != 4 || !int.TryParse(args[3], out var operations) || operations < 1)
{
    Console.Error.WriteLine("usage: Hipaa.EfCore.LoadDriver <sqlite|postgres> <connection string> <writer id> <operations>");
    return 2;
}

using var host = new LoadHost(args[0], args[1]);
using var scope = AccessContext.Begin(AccessContext.ForSystem("load-" + args[2], PurposeOfUse.Operations));
for (var i = 0; i < operations; i++)
{
    var note = new LoadNote { Id = Guid.NewGuid(), PatientId = $"{args[2]}-{i % 7}", Text = "note " + i };
    await using (var context = host.CreateContext())
    {
        context.Notes.Add(note);
        await context.SaveChangesAsync();
    }

    await using (var context = host.CreateContext())
    {
        _ = await context.Notes.AsNoTracking().SingleAsync(n => n.Id == note.Id);
    }

    if (i == 0)
    {
        Console.WriteLine("ready");
    }
}

Console.WriteLine("done");
return 0;
