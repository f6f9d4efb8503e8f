"""The Agent on Demand side: quota, session lifecycle, stream reading, patch collection."""
