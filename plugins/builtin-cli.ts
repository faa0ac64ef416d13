// The CLI commands of built-in plugins, by group, as `scalarium help` lists them. Like builtin.ts for
// the server: deleting a plugin folder means deleting its line here.
import type { Command } from '../cli/command.ts';
import { commands as deployLockCommands } from './deploy-lock/cli.ts';
import { commands as monitoringCommands } from './monitoring/cli.ts';
import { commands as logDrainsCommands } from './log-drains/cli.ts';
import { commands as alertingCommands } from './alerting/cli.ts';
import { commands as accountingCommands } from './accounting/cli.ts';
import { commands as healingCommands } from './healing/cli.ts';
import { commands as autoscalingCommands } from './autoscaling/cli.ts';

export const pluginCommandGroups: ReadonlyArray<{ title: string; commands: readonly Command[] }> = [
  { title: 'Deploy lock', commands: deployLockCommands },
  { title: 'Monitoring', commands: monitoringCommands },
  { title: 'Log drains', commands: logDrainsCommands },
  { title: 'Alerts', commands: alertingCommands },
  { title: 'Usage', commands: accountingCommands },
  { title: 'Healing', commands: healingCommands },
  { title: 'Autoscaling', commands: autoscalingCommands },
];
