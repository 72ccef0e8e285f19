// Package gormstore is the SQL implementation of matching's stores on SQLite
// and MySQL/MariaDB: the open needs and what each source already gave them,
// read for ranking and planning, and the stored plans with their lines.
package gormstore
